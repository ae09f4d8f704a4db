/**
 * npm: yarn.lock, both yarn classic's own format (v1) and yarn berry's YAML (`__metadata.version` 4 to 8). Neither
 * writes scope, so it comes from the package.json beside the lockfile (dependencies, optionalDependencies,
 * devDependencies) through the lockfile's dependency graph; packages no root reaches, or all of them when there is no
 * package.json to read, are reported as runtime.
 */
import { quote } from '@airlock/core';
import { type LockfileResult, lockfileError, type Scope } from '../model.ts';
import { parseJson } from '../parse/json.ts';
import { isObj, Reader } from '../parse/tree.ts';
import { parseYaml } from '../parse/yaml.ts';
import { Collector, dirOf, type LockfileFormat, type ParseOptions, splitLines, unsupported } from './common.ts';
import { type Edge, scopesFromRoots } from './graph.ts';

/** `name@range` → name and range (`@scope/name@^1`, `alias@npm:real@^1`). */
export function splitDescriptor(descriptor: string): { name: string; range: string } | undefined {
  const at = descriptor.indexOf('@', 1);
  if (at <= 0) return undefined;
  return { name: descriptor.slice(0, at), range: descriptor.slice(at + 1) };
}

interface Dep {
  readonly name: string;
  readonly range: string;
  readonly optional: boolean;
}

interface Entry {
  readonly descriptors: string[];
  readonly line: number;
  readonly name: string;
  version?: string;
  /** registry: checked; local: the project's own code (workspace, link, file, patch), skipped; remote: git or URL. */
  readonly source: 'registry' | 'local' | 'remote';
  readonly deps: Dep[];
}

/** Protocols that are not a registry: local code (skipped silently) or git/URL sources (warned about). */
const LOCAL = /^(workspace|link|portal|file|patch|exec):/;
const REMOTE = /^(git\+|git:|github:|gitlab:|bitbucket:|https?:|ssh:)/;

function sourceOf(range: string): Entry['source'] {
  return LOCAL.test(range) ? 'local' : REMOTE.test(range) ? 'remote' : 'registry';
}

/** Roots from the package.json beside the lockfile, if it can be read. */
function manifestRoots(
  path: string,
  options: ParseOptions,
  resolve: (name: string, range: string) => string | undefined,
): { node: string; scope: Scope }[] | undefined {
  const dir = dirOf(path);
  const manifestPath = dir === '' ? 'package.json' : `${dir}/package.json`;
  const text = options.readFile?.(manifestPath);
  if (text === undefined) return undefined;
  let manifest: ReturnType<typeof parseJson>;
  try {
    manifest = parseJson(text, manifestPath);
  } catch {
    return undefined; // a broken package.json is npm's problem to report; scope falls back to runtime
  }
  if (!isObj(manifest)) return undefined;
  const roots: { node: string; scope: Scope }[] = [];
  for (const [field, scope] of [
    ['dependencies', 'runtime'],
    ['optionalDependencies', 'optional'],
    ['devDependencies', 'dev'],
  ] as const) {
    const deps = manifest.get(field);
    if (!isObj(deps)) continue;
    for (const name of deps.keys) {
      const range = deps.get(name);
      if (typeof range !== 'string') continue;
      const node = resolve(name, range);
      if (node !== undefined) roots.push({ node, scope });
    }
  }
  return roots;
}

function finish(
  path: string,
  kind: string,
  entries: Entry[],
  byDescriptor: Map<string, number>,
  options: ParseOptions,
) {
  const out = new Collector(path, 'npm');
  const resolve = (name: string, range: string): string | undefined => {
    for (const d of [`${name}@${range}`, `${name}@npm:${range}`]) {
      const i = byDescriptor.get(d);
      if (i !== undefined) return String(i);
    }
    return undefined;
  };
  const edges = entries.map((e) =>
    e.deps.flatMap((d): Edge[] => {
      const to = resolve(d.name, d.range);
      return to === undefined ? [] : [{ to, optional: d.optional }];
    }),
  );
  const roots = manifestRoots(path, options, resolve);
  const scopes = roots === undefined ? undefined : scopesFromRoots(roots, (node) => edges[Number(node)] ?? []);
  const direct = new Set(roots?.map((r) => r.node));
  entries.forEach((e, i) => {
    if (e.source === 'local') return;
    if (e.source === 'remote') {
      out.warn(e.line, `${quote(e.descriptors[0] ?? '')} is not from a registry; not checked`);
      return;
    }
    if (e.version === undefined)
      throw lockfileError(path, e.line, `expected a 'version' for ${quote(e.descriptors.join(', '))}`);
    out.add(e.name, e.version, e.line, {
      scope: scopes?.get(String(i)) ?? 'runtime',
      ...(roots === undefined ? {} : { direct: direct.has(String(i)) }),
    });
  });
  return out.result(kind);
}

// ---------------------------------------------------------------------------------------------------- yarn v1

function unquote(s: string): string {
  if (s.length >= 2 && s.startsWith('"') && s.endsWith('"')) {
    try {
      return JSON.parse(s) as string;
    } catch {
      return s.slice(1, -1);
    }
  }
  return s;
}

/** Split a v1 key line (without the colon) into descriptors, honouring quotes. */
function splitKeys(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inQuote = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (c === '"' && line[i - 1] !== '\\') inQuote = !inQuote;
    if (c === ',' && !inQuote) {
      out.push(unquote(cur.trim()));
      cur = '';
    } else cur += c;
  }
  if (inQuote) throw new Error('unterminated quote');
  out.push(unquote(cur.trim()));
  return out.filter((s) => s !== '');
}

/** `key value` or `key "value"` of an indented v1 line. */
function splitField(body: string): [string, string] | undefined {
  let key: string;
  let rest: string;
  if (body.startsWith('"')) {
    const end = body.indexOf('"', 1);
    if (end < 0) return undefined;
    key = body.slice(1, end);
    rest = body.slice(end + 1);
  } else {
    const sp = body.search(/[\s:]/);
    key = sp < 0 ? body : body.slice(0, sp);
    rest = sp < 0 ? '' : body.slice(sp);
  }
  rest = rest.trim();
  if (rest.startsWith(':')) rest = rest.slice(1).trim();
  return [key, unquote(rest)];
}

function parseYarnV1(path: string, text: string, options: ParseOptions): LockfileResult {
  const lines = splitLines(text);
  const entries: Entry[] = [];
  const byDescriptor = new Map<string, number>();
  let current: Entry | undefined;
  let section: 'dependencies' | 'optionalDependencies' | 'other' | undefined;
  const fail: (line: number, message: string) => never = (line, message) => {
    throw lockfileError(path, line, message);
  };
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] as string;
    const n = i + 1;
    if (raw.trim() === '' || /^\s*#/.test(raw)) continue;
    const indent = (/^ */.exec(raw) as RegExpExecArray)[0].length;
    if (raw[indent] === '\t') fail(n, 'expected spaces for indentation, found a tab');
    if (indent === 0) {
      if (!raw.trimEnd().endsWith(':')) fail(n, `expected a package key ending in ':', found ${quote(raw)}`);
      let descriptors: string[];
      try {
        descriptors = splitKeys(raw.trimEnd().slice(0, -1));
      } catch {
        return fail(n, `unterminated quote in the package key ${quote(raw)}`);
      }
      const first = splitDescriptor(descriptors[0] ?? '');
      if (first === undefined) fail(n, `expected 'name@range' in the package key, found ${quote(raw)}`);
      let name = first.name;
      if (first.range.startsWith('npm:')) name = splitDescriptor(first.range.slice(4))?.name ?? first.range.slice(4);
      current = { descriptors, line: n, name, source: sourceOf(first.range), deps: [] };
      const index = entries.length;
      entries.push(current);
      for (const d of descriptors) {
        if (byDescriptor.has(d)) fail(n, `the descriptor ${quote(d)} appears twice`);
        byDescriptor.set(d, index);
      }
      section = undefined;
      continue;
    }
    if (current === undefined) fail(n, `expected a package key before the indented line ${quote(raw.trim())}`);
    const field = splitField(raw.trim());
    if (field === undefined) fail(n, `cannot read the line ${quote(raw.trim())}`);
    const [key, value] = field;
    if (indent === 2) {
      if (raw.trimEnd().endsWith(':') && value === '') {
        section = key === 'dependencies' || key === 'optionalDependencies' ? key : 'other';
      } else {
        section = undefined;
        if (key === 'version') current.version = value;
      }
    } else if (indent >= 4 && section !== undefined) {
      if (section !== 'other')
        current.deps.push({ name: key, range: value, optional: section === 'optionalDependencies' });
    } else {
      fail(n, `unexpected indentation of ${indent} spaces`);
    }
  }
  if (entries.length === 0 && !/# yarn lockfile v1/.test(text) && text.trim() !== '')
    fail(1, 'expected yarn lockfile entries');
  return finish(path, 'yarn.lock@1', entries, byDescriptor, options);
}

// ---------------------------------------------------------------------------------------------------- yarn berry

const BERRY_VERSIONS = [4, 5, 6, 7, 8];

function parseYarnBerry(path: string, text: string, options: ParseOptions): LockfileResult {
  const r: Reader = new Reader(path);
  const root = parseYaml(text, path);
  if (!isObj(root)) return r.fail(1, 'expected a mapping at the top of yarn.lock');
  const meta = r.obj(root, '__metadata');
  const version = Number(meta.get('version'));
  if (!BERRY_VERSIONS.includes(version))
    throw unsupported(
      path,
      meta.lineOf('version'),
      `yarn lockfile __metadata.version ${quote(String(meta.get('version')))} is not supported (supported: 4 to 8, and classic v1)`,
    );
  const entries: Entry[] = [];
  const byDescriptor = new Map<string, number>();
  for (const key of root.keys) {
    if (key === '__metadata') continue;
    const line = root.lineOf(key);
    const entry = root.get(key);
    if (!isObj(entry)) r.fail(line, `expected a mapping for ${quote(key)}`);
    const where = ` of ${quote(key)}`;
    const descriptors = key.split(',').map((d) => d.trim());
    const resolution = r.str(entry, 'resolution', where);
    const res = splitDescriptor(resolution);
    if (res === undefined)
      r.fail(entry.lineOf('resolution'), `expected 'name@protocol:version' in the resolution ${quote(resolution)}`);
    const version = r.optScalar(entry, 'version', where);
    const source = res.range.startsWith('npm:') ? 'registry' : LOCAL.test(res.range) ? 'local' : 'remote';
    const deps: Dep[] = [];
    const meta = r.optObj(entry, 'dependenciesMeta', where);
    const depsObj = r.optObj(entry, 'dependencies', where);
    if (depsObj !== undefined)
      for (const name of depsObj.keys) {
        const range = depsObj.get(name);
        if (typeof range !== 'string')
          r.fail(depsObj.lineOf(name), `expected a range for the dependency ${quote(name)}`);
        const m = meta?.get(name);
        deps.push({ name, range, optional: isObj(m) && (m.get('optional') === 'true' || m.get('optional') === true) });
      }
    const index = entries.length;
    entries.push({ descriptors, line, name: res.name, ...(version === undefined ? {} : { version }), source, deps });
    for (const d of descriptors) byDescriptor.set(d, index);
  }
  return finish(path, `yarn.lock@berry-v${version}`, entries, byDescriptor, options);
}

function parseYarn(path: string, text: string, options: ParseOptions): LockfileResult {
  // Berry's lockfile is YAML with a __metadata entry; classic's is its own format.
  return /^__metadata:/m.test(text) ? parseYarnBerry(path, text, options) : parseYarnV1(path, text, options);
}

export const yarnLock: LockfileFormat = { name: 'yarn.lock', ecosystem: 'npm', parse: parseYarn };
