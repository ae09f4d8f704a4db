/**
 * npm: pnpm-lock.yaml, lockfileVersion 5.x (`/name/1.0.0_peer`), 6.x (`/name@1.0.0(peer)`) and 9.x (`name@1.0.0` in
 * `packages`, peer variants in `snapshots`). Versions 5 and 6 write `dev`/`optional` per package; for 9 the scope
 * comes from the importers' dependency sections through the snapshot graph.
 */
import { quote } from '@airlock/core';
import type { LockfileResult, Scope } from '../model.ts';
import { isObj, type Obj, Reader, type Value } from '../parse/tree.ts';
import { parseYaml } from '../parse/yaml.ts';
import { Collector, type LockfileFormat, unsupported } from './common.ts';
import { type Edge, scopesFromRoots } from './graph.ts';

/** `name`, `version` of a package key; the peer suffix is dropped. */
export function parsePnpmKey(key: string, major: number): { name: string; version: string } | undefined {
  let k = key.startsWith('/') ? key.slice(1) : key;
  if (major >= 6) {
    const paren = k.indexOf('(');
    if (paren >= 0) k = k.slice(0, paren);
    const at = k.indexOf('@', 1);
    if (at <= 0) return undefined;
    return { name: k.slice(0, at), version: k.slice(at + 1) };
  }
  // 5.x: name/version_peers, where the peer suffix writes '/' as '+'.
  const slash = k.lastIndexOf('/');
  if (slash <= 0) return undefined;
  const version = k.slice(slash + 1).split('_')[0] ?? '';
  return { name: k.slice(0, slash), version };
}

const looksLikeVersion = (v: string) => /^[0-9]+\.[0-9]+\.[0-9]+/.test(v);

/** Fields of a package entry the scan never reads. */
const UNUSED_FIELDS = new Set(['resolution', 'engines', 'cpu', 'os', 'libc', 'hasBin', 'deprecated', 'requiresBuild']);

const SECTIONS: readonly [string, Scope][] = [
  ['dependencies', 'runtime'],
  ['optionalDependencies', 'optional'],
  ['devDependencies', 'dev'],
];

/**
 * pnpm 10 can write two YAML documents: the environment lockfile (config dependencies, the package manager) first,
 * then the project's. The last document is the project's; earlier ones become blank lines so line numbers still match.
 */
function mainDocument(text: string): string {
  const separators = [...text.matchAll(/^---[ \t]*\r?$/gm)];
  const last = separators[separators.length - 1];
  if (separators.length < 2 || last === undefined) return text;
  const before = text.slice(0, last.index);
  return '\n'.repeat(before.split('\n').length - 1) + text.slice(last.index);
}

function parsePnpm(path: string, text: string): LockfileResult {
  const r: Reader = new Reader(path);
  const root = parseYaml(mainDocument(text), path, (key, depth) => depth === 2 && UNUSED_FIELDS.has(key));
  if (!isObj(root)) return r.fail(1, 'expected a mapping at the top of pnpm-lock.yaml');
  const raw = root.get('lockfileVersion');
  const version = typeof raw === 'string' || typeof raw === 'number' ? String(raw) : undefined;
  if (version === undefined) return r.fail(1, "expected 'lockfileVersion' at the top of pnpm-lock.yaml");
  const major = Number.parseInt(version, 10);
  if (!/^[0-9]+(\.[0-9]+)?$/.test(version) || ![5, 6, 9].includes(major))
    throw unsupported(
      path,
      root.lineOf('lockfileVersion'),
      `lockfileVersion ${quote(version)} is not supported (supported: 5.x, 6.x, 9.x)`,
    );
  const out = new Collector(path, 'npm');
  const packages = r.optObj(root, 'packages') ?? undefined;
  const snapshots = major >= 9 ? r.optObj(root, 'snapshots') : undefined;

  // Importers: the root project (top-level sections before v9 without workspaces) and every workspace.
  const importers: Obj[] = [];
  const importersObj = r.optObj(root, 'importers');
  if (importersObj !== undefined) {
    for (const k of importersObj.keys) {
      const imp = importersObj.get(k);
      if (!isObj(imp)) r.fail(importersObj.lineOf(k), `expected a mapping for the importer ${quote(k)}`);
      importers.push(imp);
    }
  } else importers.push(root);

  /** The resolved version string an importer or snapshot gives a dependency (`1.0.0(react@18.0.0)`, `link:…`). */
  const resolvedOf = (v: Value | undefined): string | undefined => {
    if (typeof v === 'string') return v;
    if (isObj(v)) {
      const version = v.get('version');
      if (typeof version === 'string') return version;
    }
    return undefined;
  };
  /** The packages key a dependency resolves to. */
  const keyOf = (name: string, resolved: string): string => {
    if (major >= 9) return `${name}@${resolved}`;
    if (resolved.startsWith('/')) return resolved; // already a key (aliases, tarballs)
    return major >= 6 ? `/${name}@${resolved}` : `/${name}/${resolved}`;
  };
  const baseKey = (key: string): string => {
    if (major < 6) return key;
    const paren = key.indexOf('(');
    return paren < 0 ? key : key.slice(0, paren);
  };

  const roots: { node: string; scope: Scope }[] = [];
  const direct = new Set<string>();
  for (const imp of importers) {
    for (const [section, scope] of SECTIONS) {
      const deps = r.optObj(imp, section);
      if (deps === undefined) continue;
      for (const name of deps.keys) {
        const resolved = resolvedOf(deps.get(name));
        if (resolved === undefined || resolved.startsWith('link:') || resolved.startsWith('file:')) continue;
        const key = keyOf(name, resolved);
        roots.push({ node: key, scope });
        direct.add(baseKey(key));
      }
    }
  }

  let scopes: Map<string, Scope> | undefined;
  if (major >= 9) {
    const graph = snapshots ?? packages;
    const edges = (node: string): Edge[] => {
      const snap = graph?.get(node);
      if (!isObj(snap)) return [];
      const out: Edge[] = [];
      for (const [field, optional] of [
        ['dependencies', false],
        ['optionalDependencies', true],
      ] as const) {
        const deps = snap.get(field);
        if (!isObj(deps)) continue;
        deps.each((name, value) => {
          const resolved = resolvedOf(value);
          if (resolved !== undefined) out.push({ to: keyOf(name, resolved), optional });
        });
      }
      return out;
    };
    scopes = new Map();
    for (const [node, scope] of scopesFromRoots(roots, edges)) {
      const base = baseKey(node);
      const prev = scopes.get(base);
      if (prev === undefined || prev === 'dev' || (prev === 'optional' && scope === 'runtime')) scopes.set(base, scope);
    }
  }

  if (packages === undefined) return out.result(`pnpm-lock.yaml@${version}`);
  packages.each((key, entry, line) => {
    if (!isObj(entry)) r.fail(line, `expected a mapping for the package ${quote(key)}`);
    const where = () => ` of ${quote(key)}`;
    const parsed = parsePnpmKey(key, major);
    const name = r.optStr(entry, 'name', where) ?? parsed?.name;
    let ver = r.optScalar(entry, 'version', where) ?? parsed?.version;
    if (name === undefined || ver === undefined)
      r.fail(line, `cannot read a package name and version from the key ${quote(key)}`);
    if (ver.startsWith('npm:')) ver = ver.slice(ver.lastIndexOf('@') + 1);
    if (!looksLikeVersion(ver)) {
      if (!/^(link|file|workspace):/.test(ver))
        out.warn(line, `${quote(key)} is not from a registry (${quote(ver)}); not checked`);
      return;
    }
    let scope: Scope;
    if (scopes !== undefined) scope = scopes.get(key) ?? 'runtime';
    else if (r.optBool(entry, 'dev', where) === true) scope = 'dev';
    else if (r.optBool(entry, 'optional', where) === true) scope = 'optional';
    else scope = 'runtime';
    out.add(name, ver, line, { scope, direct: direct.has(baseKey(key)) });
  });
  return out.result(`pnpm-lock.yaml@${version}`);
}

export const pnpmLock: LockfileFormat = { name: 'pnpm-lock.yaml', ecosystem: 'npm', parse: parsePnpm };
