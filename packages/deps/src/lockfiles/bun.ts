/**
 * npm: bun.lock, Bun's text lockfile (JSON with trailing commas), lockfileVersion 0 and 1. Each package is
 * `[ "name@version", registry, { dependencies… }, integrity ]` under its install path (`parent/child` for nested
 * installs). Scope comes from the workspaces' dependency sections through that graph.
 */
import { quote } from '@airlock/core';
import type { LockfileResult, Scope } from '../model.ts';
import { parseJson } from '../parse/json.ts';
import { isArr, isObj, newObj, Reader } from '../parse/tree.ts';
import { Collector, type LockfileFormat, unsupported } from './common.ts';
import { type Edge, scopesFromRoots } from './graph.ts';

/** Split an install path into package names: `@a/b/c/@d/e` → [`@a/b`, `c`, `@d/e`]. */
function pathNames(key: string): string[] {
  const parts = key.split('/');
  const names: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i] as string;
    if (p.startsWith('@') && i + 1 < parts.length) {
      names.push(`${p}/${parts[i + 1]}`);
      i++;
    } else names.push(p);
  }
  return names;
}

function parseBun(path: string, text: string): LockfileResult {
  const r: Reader = new Reader(path);
  const root = parseJson(text, path, { jsonc: true });
  if (!isObj(root)) return r.fail(1, 'expected a JSON object at the top of bun.lock');
  const version = root.get('lockfileVersion');
  if (version !== 0 && version !== 1)
    throw unsupported(
      path,
      root.lineOf('lockfileVersion'),
      `lockfileVersion ${quote(String(version))} is not supported (supported: 0, 1)`,
    );
  const packages = r.optObj(root, 'packages') ?? newObj(1);
  const workspaces = r.optObj(root, 'workspaces');
  const out = new Collector(path, 'npm');

  /** The install path a dependency of `from` resolves to, like Node's lookup: nearest enclosing node_modules first. */
  const resolve = (from: string[], name: string): string | undefined => {
    for (let i = from.length; i >= 0; i--) {
      const key = [...from.slice(0, i), name].join('/');
      if (packages.has(key)) return key;
    }
    return undefined;
  };
  const roots: { node: string; scope: Scope }[] = [];
  if (workspaces !== undefined) {
    for (const ws of workspaces.keys) {
      const w = workspaces.get(ws);
      if (!isObj(w)) r.fail(workspaces.lineOf(ws), `expected a mapping for the workspace ${quote(ws)}`);
      const wsName = r.optStr(w, 'name') !== undefined && ws !== '' ? [r.optStr(w, 'name') as string] : [];
      for (const [field, scope] of [
        ['dependencies', 'runtime'],
        ['optionalDependencies', 'optional'],
        ['devDependencies', 'dev'],
      ] as const) {
        const deps = r.optObj(w, field, ` of the workspace ${quote(ws)}`);
        if (deps === undefined) continue;
        for (const name of deps.keys) {
          const key = resolve(wsName, name);
          if (key !== undefined) roots.push({ node: key, scope });
        }
      }
    }
  }
  const edges = (node: string): Edge[] => {
    const entry = packages.get(node);
    if (!isArr(entry)) return [];
    const info = entry.find((v, i) => i >= 1 && isObj(v));
    if (!isObj(info)) return [];
    const from = pathNames(node);
    const out: Edge[] = [];
    for (const [field, optional] of [
      ['dependencies', false],
      ['optionalDependencies', true],
    ] as const) {
      const deps = info.get(field);
      if (!isObj(deps)) continue;
      for (const name of deps.keys) {
        const to = resolve(from, name);
        if (to !== undefined) out.push({ to, optional });
      }
    }
    return out;
  };
  const scopes = workspaces === undefined ? undefined : scopesFromRoots(roots, edges);
  const direct = new Set(roots.map((x) => x.node));

  for (const key of packages.keys) {
    const line = packages.lineOf(key);
    const entry = packages.get(key);
    if (!isArr(entry) || entry.length === 0 || typeof entry[0] !== 'string')
      r.fail(line, `expected a list starting with "name@version" for the package ${quote(key)}`);
    const ident = entry[0] as string;
    const at = ident.indexOf('@', 1);
    if (at <= 0) r.fail(line, `expected "name@version" for the package ${quote(key)}, found ${quote(ident)}`);
    const name = ident.slice(0, at);
    const version = ident.slice(at + 1);
    if (/^(workspace|link|file|root):/.test(version)) continue;
    if (!/^[0-9]+\.[0-9]+\.[0-9]+/.test(version)) {
      out.warn(line, `${quote(key)} is not from a registry (${quote(version)}); not checked`);
      continue;
    }
    out.add(name, version, line, {
      scope: scopes?.get(key) ?? 'runtime',
      ...(scopes === undefined ? {} : { direct: direct.has(key) }),
    });
  }
  return out.result(`bun.lock@${version}`);
}

export const bunLock: LockfileFormat = { name: 'bun.lock', ecosystem: 'npm', parse: parseBun };
