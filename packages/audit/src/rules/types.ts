import type { Fix } from '../finding.ts';
import type { Action, Document, Job, Step, Workflow } from '../model/types.ts';
import type { Confidence, Severity } from '../severity.ts';
import type { SourceFile, Span } from '../source/yaml.ts';

export interface RuleMeta {
  /** Stable id, used in configuration, inline ignores, SARIF and JSON. */
  readonly id: string;
  readonly title: string;
  /** The default (highest) severity of the rule's findings. */
  readonly severity: Severity;
  readonly confidence: Confidence;
  /** What the problem is and why it matters. */
  readonly description: string;
  /** How to fix it. */
  readonly fix: string;
  /** Whether `--fix` can repair some of its findings. */
  readonly autofix?: boolean;
  /** Where the rule looks. */
  readonly scope: 'workflow' | 'action' | 'both' | 'online' | 'engine';
}

export interface Report {
  readonly span: Span;
  readonly message: string;
  readonly severity?: Severity | undefined;
  readonly confidence?: Confidence | undefined;
  /** The enclosing step or job: an inline ignore on any of its lines up to the finding applies. */
  readonly within?: Span | undefined;
  readonly fix?: Fix | undefined;
}

export interface RuleContext {
  readonly file: SourceFile;
  readonly doc: Document;
  report(report: Report): void;
}

export interface Rule extends RuleMeta {
  /** Static rules inspect one document at a time. */
  check?(ctx: RuleContext): void;
}

export type { Action, Job, Step, Workflow };
