import { isMap, isScalar, isSeq, type Node, type Scalar, type YAMLMap } from 'yaml';
import {
  asMap,
  asScalar,
  asSeq,
  pairOf,
  pairs,
  type SourceFile,
  type Span,
  scalarString,
  spanOfNode,
  valueAt,
} from '../source/yaml.ts';
import type {
  Action,
  Container,
  EnvVar,
  Job,
  Permissions,
  Step,
  StringValue,
  StructureProblem,
  Trigger,
  UsesRef,
  Workflow,
  WorkflowInput,
} from './types.ts';

const ZERO: Span = { start: 0, end: 0 };

function stringValue(node: Node | null): StringValue | undefined {
  const scalar = asScalar(node);
  if (scalar === null) return undefined;
  const value = scalarString(scalar);
  if (value === undefined) return undefined;
  return { value, node: scalar as Scalar, span: spanOfNode(scalar) };
}

export function parseUses(raw: string, span: Span, jobLevel: boolean): UsesRef {
  const value = raw.trim();
  if (value.includes('${{')) return { raw, span, kind: 'expression', slug: value };
  if (value.startsWith('./') || value.startsWith('$/') || value === '.') {
    return { raw, span, kind: 'local', slug: value.replace(/\/+$/, '').toLowerCase() };
  }
  if (value.startsWith('docker://')) {
    const image = value.slice('docker://'.length);
    return { raw, span, kind: 'docker', slug: value.toLowerCase(), image };
  }
  const at = value.lastIndexOf('@');
  const name = at < 0 ? value : value.slice(0, at);
  const ref = at < 0 ? undefined : value.slice(at + 1);
  const parts = name.split('/');
  const owner = parts[0] ?? '';
  const repo = parts[1] ?? '';
  const path = parts.slice(2).join('/');
  const valid = /^[A-Za-z0-9_.-]+$/.test(owner) && /^[A-Za-z0-9_.-]+$/.test(repo) && ref !== undefined && ref !== '';
  const isWorkflowPath = /^\.github\/workflows\/[^/]+\.ya?ml$/.test(path);
  const kind = !valid ? 'invalid' : jobLevel || isWorkflowPath ? 'workflow' : 'action';
  return {
    raw,
    span,
    kind,
    slug: name.toLowerCase(),
    owner,
    repo,
    ...(path === '' ? {} : { path }),
    ...(ref === undefined ? {} : { ref }),
  };
}

class Builder {
  readonly problems: StructureProblem[] = [];
  readonly file: SourceFile;

  constructor(file: SourceFile) {
    this.file = file;
  }

  problem(message: string, span: Span): void {
    this.problems.push({ message, span });
  }

  /** A mapping, or a problem when the node is something else. */
  map(node: Node | null, what: string, span: Span): YAMLMap | null {
    if (node === null) return null;
    const m = asMap(node);
    if (m === null) {
      const scalar = asScalar(node);
      if (scalar !== null && scalar.value === null) return null; // `key:` with nothing: empty
      this.problem(`${what} must be a mapping`, spanOfNode(node, span));
    }
    return m;
  }

  env(node: Node | null, what: string, span: Span): EnvVar[] {
    if (node === null) return [];
    if (isScalar(node) && typeof node.value === 'string' && node.value.includes('${{')) return []; // env: ${{ fromJSON(...) }}
    const m = this.map(node, what, span);
    return pairs(m).map((p) => ({ name: p.key, keySpan: spanOfNode(p.keyNode), value: stringValue(p.value) }));
  }

  stringMap(node: Node | null, what: string, span: Span): Map<string, StringValue> {
    const out = new Map<string, StringValue>();
    const m = this.map(node, what, span);
    for (const p of pairs(m)) {
      const v = stringValue(p.value);
      if (v !== undefined) out.set(p.key, v);
    }
    return out;
  }

  permissions(map: YAMLMap | null): Permissions | undefined {
    const p = pairOf(map, 'permissions');
    if (p === null) return undefined;
    const keySpan = spanOfNode(p.keyNode);
    const span = spanOfNode(p.value, keySpan);
    const text = scalarString(p.value);
    if (text !== undefined) {
      if (text === 'read-all' || text === 'write-all') return { keySpan, span, kind: text, scopes: [] };
      if (text.includes('${{')) return { keySpan, span, kind: 'expression', scopes: [] };
      this.problem(`permissions must be read-all, write-all or a mapping of scopes; got '${text}'`, span);
      return { keySpan, span, kind: 'invalid', scopes: [] };
    }
    const m = asMap(p.value);
    if (m === null) {
      if (p.value === null || asScalar(p.value)?.value === null) return { keySpan, span, kind: 'map', scopes: [] };
      this.problem('permissions must be read-all, write-all or a mapping of scopes', span);
      return { keySpan, span, kind: 'invalid', scopes: [] };
    }
    const scopes = pairs(m).map((entry) => {
      const level = scalarString(entry.value);
      const valueSpan = spanOfNode(entry.value, spanOfNode(entry.keyNode));
      const ok = level === 'read' || level === 'write' || level === 'none';
      if (!ok) this.problem(`permission '${entry.key}' must be read, write or none; got '${level ?? ''}'`, valueSpan);
      return {
        scope: entry.key,
        level: ok ? (level as 'read' | 'write' | 'none') : ('invalid' as const),
        keySpan: spanOfNode(entry.keyNode),
        span: valueSpan,
      };
    });
    return { keySpan, span, kind: 'map', scopes };
  }

  steps(node: Node | null, what: string, span: Span, jobShell: string | undefined): Step[] {
    if (node === null) return [];
    const seq = asSeq(node);
    if (seq === null) {
      this.problem(`${what} must be a list of steps`, spanOfNode(node, span));
      return [];
    }
    const steps: Step[] = [];
    seq.items.forEach((item, index) => {
      const m = asMap(item);
      if (m === null) {
        this.problem(`${what}[${index}] must be a mapping`, spanOfNode(item as Node, span));
        return;
      }
      const stepSpan = spanOfNode(m, span);
      const usesValue = stringValue(valueAt(m, 'uses'));
      const run = stringValue(valueAt(m, 'run'));
      if (usesValue !== undefined && run !== undefined) {
        this.problem(`${what}[${index}] has both 'uses' and 'run'; a step has one of them`, usesValue.span);
      }
      const withPair = pairOf(m, 'with');
      const withNode = withPair === null ? undefined : (asMap(withPair.value) ?? undefined);
      const envPair = pairOf(m, 'env');
      const id = scalarString(valueAt(m, 'id'));
      const name = scalarString(valueAt(m, 'name'));
      steps.push({
        index,
        node: m,
        span: stepSpan,
        id,
        name,
        uses: usesValue === undefined ? undefined : parseUses(usesValue.value, usesValue.span, false),
        run,
        shell: scalarString(valueAt(m, 'shell')) ?? jobShell,
        with: this.stringMap(withPair?.value ?? null, `${what}[${index}].with`, stepSpan),
        withNode,
        env: this.env(envPair?.value ?? null, `${what}[${index}].env`, stepSpan),
        envNode: envPair === null ? undefined : (asMap(envPair.value) ?? undefined),
        if: stringValue(valueAt(m, 'if')),
        label: name !== undefined ? `step '${name}'` : id !== undefined ? `step '${id}'` : `step ${index + 1}`,
      });
    });
    return steps;
  }

  container(node: Node | null, label: string, span: Span): Container | undefined {
    if (node === null) return undefined;
    const image = stringValue(node);
    if (image !== undefined)
      return { label, span: image.span, image, username: undefined, password: undefined, env: [] };
    const m = this.map(node, label, span);
    if (m === null) return undefined;
    const credentials = asMap(valueAt(m, 'credentials'));
    return {
      label,
      span: spanOfNode(m, span),
      image: stringValue(valueAt(m, 'image')),
      username: stringValue(valueAt(credentials, 'username')),
      password: stringValue(valueAt(credentials, 'password')),
      env: this.env(valueAt(m, 'env'), `${label}.env`, span),
    };
  }

  inputs(node: Node | null): Map<string, WorkflowInput> {
    const out = new Map<string, WorkflowInput>();
    for (const p of pairs(asMap(node))) {
      out.set(p.key, { name: p.key, type: scalarString(valueAt(asMap(p.value), 'type')) });
    }
    return out;
  }
}

function shellOf(map: YAMLMap | null): string | undefined {
  return scalarString(valueAt(asMap(valueAt(asMap(valueAt(map, 'defaults')), 'run')), 'shell'));
}

function triggersOf(b: Builder, node: Node | null, span: Span): Trigger[] {
  if (node === null) return [];
  const single = scalarString(node);
  if (single !== undefined) return [{ name: single, span: spanOfNode(node, span), config: null }];
  const seq = asSeq(node);
  if (seq !== null) {
    return seq.items.flatMap((item) => {
      const name = scalarString(item);
      return name === undefined ? [] : [{ name, span: spanOfNode(item as Node, span), config: null }];
    });
  }
  const m = asMap(node);
  if (m === null) {
    b.problem("'on' must be an event name, a list of events or a mapping", spanOfNode(node, span));
    return [];
  }
  return pairs(m).map((p) => ({ name: p.key, span: spanOfNode(p.keyNode), config: p.value }));
}

export function buildWorkflow(file: SourceFile): Workflow {
  const b = new Builder(file);
  const root = asMap(file.root);
  if (root === null && file.errors.length === 0) {
    b.problem(
      file.root === null ? 'the workflow file is empty' : 'a workflow must be a mapping with on and jobs',
      spanOfNode(file.root),
    );
  }
  const onPair = pairOf(root, 'on');
  const triggers = onPair === null ? [] : triggersOf(b, onPair.value, spanOfNode(onPair.keyNode));
  if (root !== null && onPair === null && file.errors.length === 0) b.problem("the workflow has no 'on' key", ZERO);
  const inputs = new Map<string, WorkflowInput>();
  for (const t of triggers) {
    if (t.name === 'workflow_dispatch' || t.name === 'workflow_call') {
      for (const [k, v] of b.inputs(valueAt(asMap(t.config as Node | null), 'inputs'))) inputs.set(k, v);
    }
  }
  const workflowShell = shellOf(root);
  const jobsPair = pairOf(root, 'jobs');
  const jobsKeySpan = jobsPair === null ? undefined : spanOfNode(jobsPair.keyNode);
  const jobsMap = jobsPair === null ? null : b.map(jobsPair.value, 'jobs', jobsKeySpan ?? ZERO);
  const jobs: Job[] = [];
  for (const entry of pairs(jobsMap)) {
    const keySpan = spanOfNode(entry.keyNode);
    const m = b.map(entry.value, `jobs.${entry.key}`, keySpan);
    if (m === null) continue;
    const jobShell = shellOf(m) ?? workflowShell;
    const usesValue = stringValue(valueAt(m, 'uses'));
    const secretsNode = valueAt(m, 'secrets');
    const envNode = valueAt(m, 'environment');
    let environment: Job['environment'];
    if (envNode !== null) {
      const envName = scalarString(envNode) ?? scalarString(valueAt(asMap(envNode), 'name'));
      environment = { name: envName, span: spanOfNode(envNode, keySpan) };
    }
    const runsOnNode = valueAt(m, 'runs-on');
    const runsOn = runsOnOf(runsOnNode, keySpan);
    const servicesMap = asMap(valueAt(m, 'services'));
    jobs.push({
      id: entry.key,
      keySpan,
      span: { start: keySpan.start, end: spanOfNode(m, keySpan).end },
      node: m,
      name: scalarString(valueAt(m, 'name')),
      permissions: b.permissions(m),
      env: b.env(valueAt(m, 'env'), `jobs.${entry.key}.env`, keySpan),
      steps: b.steps(valueAt(m, 'steps'), `jobs.${entry.key}.steps`, keySpan, jobShell),
      uses: usesValue === undefined ? undefined : parseUses(usesValue.value, usesValue.span, true),
      with: b.stringMap(valueAt(m, 'with'), `jobs.${entry.key}.with`, keySpan),
      secretsInherit: scalarString(secretsNode) === 'inherit' ? spanOfNode(secretsNode) : undefined,
      environment,
      runsOn,
      container: b.container(valueAt(m, 'container'), 'container', keySpan),
      services: pairs(servicesMap).flatMap((s) => {
        const c = b.container(s.value, `services.${s.key}`, spanOfNode(s.keyNode));
        return c === undefined ? [] : [c];
      }),
      needs: needsOf(valueAt(m, 'needs')),
      if: stringValue(valueAt(m, 'if')),
      shell: jobShell,
    });
  }
  return {
    kind: 'workflow',
    file,
    name: scalarString(valueAt(root, 'name')),
    onSpan: onPair === null ? undefined : spanOfNode(onPair.keyNode),
    triggers,
    permissions: b.permissions(root),
    env: b.env(valueAt(root, 'env'), 'env', ZERO),
    shell: workflowShell,
    jobs,
    jobsKeySpan,
    inputs,
    problems: b.problems,
  };
}

function needsOf(node: Node | null): string[] {
  const single = scalarString(node);
  if (single !== undefined) return [single];
  const seq = asSeq(node);
  if (seq === null) return [];
  return seq.items.flatMap((i) => {
    const s = scalarString(i);
    return s === undefined ? [] : [s];
  });
}

function runsOnOf(node: Node | null, fallback: Span): Job['runsOn'] {
  const span = spanOfNode(node, fallback);
  const labels: string[] = [];
  let group: string | undefined;
  let dynamic = false;
  const add = (n: unknown) => {
    const s = scalarString(n);
    if (s === undefined) return;
    if (s.includes('${{')) dynamic = true;
    else labels.push(s);
  };
  if (node !== null) {
    if (isSeq(node)) node.items.forEach(add);
    else if (isMap(node)) {
      const m = node as YAMLMap;
      group = scalarString(valueAt(m, 'group'));
      const l = valueAt(m, 'labels');
      if (isSeq(l)) l.items.forEach(add);
      else add(l);
    } else add(node);
  }
  return { labels, group, dynamic, span };
}

export function buildAction(file: SourceFile): Action {
  const b = new Builder(file);
  const root = asMap(file.root);
  if (root === null && file.errors.length === 0) {
    b.problem(
      file.root === null
        ? 'the action metadata file is empty'
        : 'action metadata must be a mapping with name, description and runs',
      spanOfNode(file.root),
    );
  }
  const runsPair = pairOf(root, 'runs');
  const runs = runsPair === null ? null : b.map(runsPair.value, 'runs', spanOfNode(runsPair.keyNode));
  const using = scalarString(valueAt(runs, 'using'));
  const steps = using === 'composite' ? b.steps(valueAt(runs, 'steps'), 'runs.steps', ZERO, undefined) : [];
  return {
    kind: 'action',
    file,
    name: scalarString(valueAt(root, 'name')),
    using,
    steps,
    image: stringValue(valueAt(runs, 'image')),
    inputs: b.inputs(valueAt(root, 'inputs')),
    problems: b.problems,
  };
}

/** Is this YAML a workflow (has `jobs` or `on`) or action metadata (has `runs`)? */
export function looksLikeAction(file: SourceFile, fileName: string): boolean {
  if (/^action\.ya?ml$/i.test(fileName)) return true;
  const root = asMap(file.root);
  return pairOf(root, 'runs') !== null && pairOf(root, 'jobs') === null;
}
