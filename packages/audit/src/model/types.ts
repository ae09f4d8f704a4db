import type { Scalar, YAMLMap } from 'yaml';
import type { SourceFile, Span } from '../source/yaml.ts';

/**
 * The parts of a workflow or action the rules look at, each with its source span. Built leniently from the YAML:
 * a part that has the wrong shape is left out and reported as a structure problem, and the rest is still audited.
 */
export interface StringValue {
  readonly value: string;
  readonly node: Scalar;
  readonly span: Span;
}

export type UsesKind = 'local' | 'docker' | 'action' | 'workflow' | 'expression' | 'invalid';

export interface UsesRef {
  readonly raw: string;
  readonly span: Span;
  readonly kind: UsesKind;
  /** `owner/repo[/path]` in lower case, without the ref: the knowledge-base key. Local: `./path`. */
  readonly slug: string;
  readonly owner?: string;
  readonly repo?: string;
  readonly path?: string;
  readonly ref?: string;
  /** For `docker://` references: the image reference. */
  readonly image?: string;
}

export interface EnvVar {
  readonly name: string;
  readonly keySpan: Span;
  readonly value: StringValue | undefined;
}

export interface Permissions {
  readonly keySpan: Span;
  readonly span: Span;
  readonly kind: 'map' | 'read-all' | 'write-all' | 'expression' | 'invalid';
  readonly scopes: ReadonlyArray<{
    readonly scope: string;
    readonly level: 'read' | 'write' | 'none' | 'invalid';
    readonly keySpan: Span;
    readonly span: Span;
  }>;
}

export interface Container {
  /** `container` or `services.<name>`. */
  readonly label: string;
  readonly span: Span;
  readonly image: StringValue | undefined;
  readonly username: StringValue | undefined;
  readonly password: StringValue | undefined;
  readonly env: readonly EnvVar[];
}

export interface Step {
  readonly index: number;
  readonly node: YAMLMap;
  readonly span: Span;
  readonly id: string | undefined;
  readonly name: string | undefined;
  readonly uses: UsesRef | undefined;
  readonly run: StringValue | undefined;
  readonly shell: string | undefined;
  readonly with: ReadonlyMap<string, StringValue>;
  /** The `with:` mapping, when it is one. */
  readonly withNode: YAMLMap | undefined;
  readonly env: readonly EnvVar[];
  readonly envNode: YAMLMap | undefined;
  readonly if: StringValue | undefined;
  /** A short label for messages: `step 'Build'` or `step 3`. */
  readonly label: string;
}

export interface Job {
  readonly id: string;
  readonly keySpan: Span;
  readonly span: Span;
  readonly node: YAMLMap;
  readonly name: string | undefined;
  readonly permissions: Permissions | undefined;
  readonly env: readonly EnvVar[];
  readonly steps: readonly Step[];
  /** A reusable-workflow call (`jobs.<id>.uses`). */
  readonly uses: UsesRef | undefined;
  readonly with: ReadonlyMap<string, StringValue>;
  /** `secrets: inherit`. */
  readonly secretsInherit: Span | undefined;
  readonly environment: { readonly name: string | undefined; readonly span: Span } | undefined;
  readonly runsOn: {
    readonly labels: readonly string[];
    readonly group: string | undefined;
    readonly dynamic: boolean;
    readonly span: Span;
  };
  readonly container: Container | undefined;
  readonly services: readonly Container[];
  readonly needs: readonly string[];
  readonly if: StringValue | undefined;
  /** `defaults.run.shell` of the job. */
  readonly shell: string | undefined;
}

export interface Trigger {
  readonly name: string;
  readonly span: Span;
  /** `on.<event>` configuration when `on` is a mapping. */
  readonly config: unknown;
}

export interface StructureProblem {
  readonly message: string;
  readonly span: Span;
}

export interface WorkflowInput {
  readonly name: string;
  /** `string`, `boolean`, `number`, `choice`, `environment` or undefined when not declared. */
  readonly type: string | undefined;
}

export interface Workflow {
  readonly kind: 'workflow';
  readonly file: SourceFile;
  readonly name: string | undefined;
  readonly onSpan: Span | undefined;
  readonly triggers: readonly Trigger[];
  readonly permissions: Permissions | undefined;
  readonly env: readonly EnvVar[];
  readonly shell: string | undefined;
  readonly jobs: readonly Job[];
  readonly jobsKeySpan: Span | undefined;
  /** Inputs of workflow_dispatch and workflow_call, with their declared type. */
  readonly inputs: ReadonlyMap<string, WorkflowInput>;
  readonly problems: readonly StructureProblem[];
}

export interface Action {
  readonly kind: 'action';
  readonly file: SourceFile;
  readonly name: string | undefined;
  readonly using: string | undefined;
  /** Steps of a composite action. */
  readonly steps: readonly Step[];
  /** `runs.image` of a Docker action. */
  readonly image: StringValue | undefined;
  readonly inputs: ReadonlyMap<string, WorkflowInput>;
  readonly problems: readonly StructureProblem[];
}

export type Document = Workflow | Action;

export function isWorkflow(doc: Document): doc is Workflow {
  return doc.kind === 'workflow';
}
