/**
 * PyPI: uv.lock (version 1, any revision). The workspace members (editable or virtual sources) are the roots: their
 * dependencies are runtime, their optional dependencies optional, their dev-dependency groups dev; the scope of every
 * other package comes through the dependency graph, extras included.
 */
import { quote } from '@airlock/core';
import type { LockfileResult, Scope } from '../model.ts';
import { parseToml } from '../parse/toml.ts';
import { type Arr, isArr, isObj, itemLine, type Obj, Reader } from '../parse/tree.ts';
import { Collector, type LockfileFormat, pep503, unsupported } from './common.ts';
import { type Edge, scopesFromRoots } from './graph.ts';

const LOCAL_SOURCES = ['editable', 'virtual', 'path', 'directory'];

function parseUv(path: string, text: string): LockfileResult {
  const r: Reader = new Reader(path);
  const root = parseToml(text, path);
  if (root.get('version') !== 1)
    throw unsupported(
      path,
      root.lineOf('version'),
      root.get('version') === undefined
        ? "expected 'version = 1' at the top of uv.lock"
        : `uv.lock version ${quote(String(root.get('version')))} is not supported (supported: 1)`,
    );
  const packages = r.optArr(root, 'package') ?? [];
  const out = new Collector(path, 'PyPI');
  const byName = new Map<string, Obj[]>();
  const tables: Obj[] = [];
  packages.forEach((p, i) => {
    if (!isObj(p)) r.fail(itemLine(packages, i), 'expected [[package]] to be a table');
    const name = pep503(r.str(p, 'name', ' in [[package]]'));
    tables.push(p);
    const list = byName.get(name) ?? [];
    list.push(p);
    byName.set(name, list);
  });
  const idOf = (p: Obj) =>
    `${pep503(p.get('name') as string)}@${typeof p.get('version') === 'string' ? p.get('version') : ''}`;
  /** A dependency entry `{ name, version?, extra? }` → the nodes it reaches (the package and its extras). */
  const targets = (dep: unknown, where: string, line: number): string[] => {
    if (!isObj(dep as Obj)) r.fail(line, `expected a table for a dependency${where}`);
    const d = dep as Obj;
    const name = pep503(r.str(d, 'name', where));
    const version = r.optStr(d, 'version', where);
    const candidates = byName.get(name) ?? [];
    const target = version === undefined ? candidates[0] : candidates.find((c) => c.get('version') === version);
    if (target === undefined) return [];
    const id = idOf(target);
    return [id, ...r.strings(d, 'extra', where).map((e) => `${id}[${pep503(e)}]`)];
  };
  const listDeps = (list: Arr | undefined, where: string): string[] =>
    (list ?? []).flatMap((dep, i) => targets(dep, where, itemLine(list as Arr, i)));
  const tableById = new Map(tables.map((t) => [idOf(t), t]));
  const edges = (node: string): Edge[] => {
    const extra = /^(.*)\[([^\]]+)\]$/.exec(node);
    const table = tableById.get(extra ? (extra[1] as string) : node);
    if (table === undefined) return [];
    const where = ` of ${quote(node)}`;
    if (extra) {
      const opt = r.optObj(table, 'optional-dependencies', where);
      const list = opt?.get(extra[2] as string);
      return listDeps(isArr(list) ? list : undefined, where).map((to) => ({ to }));
    }
    return listDeps(r.optArr(table, 'dependencies', where), where).map((to) => ({ to }));
  };

  const roots: { node: string; scope: Scope }[] = [];
  const local = new Set<Obj>();
  for (const t of tables) {
    const source = r.optObj(t, 'source', ` of ${quote(String(t.get('name')))}`);
    if (source === undefined || !source.keys.some((k) => LOCAL_SOURCES.includes(k))) continue;
    local.add(t);
    const where = ` of the workspace member ${quote(String(t.get('name')))}`;
    for (const to of listDeps(r.optArr(t, 'dependencies', where), where)) roots.push({ node: to, scope: 'runtime' });
    for (const [field, scope] of [
      ['optional-dependencies', 'optional'],
      ['dev-dependencies', 'dev'],
    ] as const) {
      const groups = r.optObj(t, field, where);
      if (groups === undefined) continue;
      for (const g of groups.keys) {
        const list = groups.get(g);
        if (!isArr(list)) r.fail(groups.lineOf(g), `expected a list for the group ${quote(g)}${where}`);
        for (const to of listDeps(list, where)) roots.push({ node: to, scope });
      }
    }
  }
  const scopes = roots.length > 0 ? scopesFromRoots(roots, edges) : undefined;
  const direct = new Set(roots.map((x) => x.node));
  for (const t of tables) {
    if (local.has(t)) continue;
    const name = pep503(t.get('name') as string);
    const version = r.optStr(t, 'version', ` of ${quote(name)}`);
    if (version === undefined) {
      out.warn(t.lineOf('name'), `${quote(name)} has no version; not checked`);
      continue;
    }
    const id = idOf(t);
    out.add(name, version, t.lineOf('name'), {
      scope: scopes?.get(id) ?? 'runtime',
      ...(scopes === undefined ? {} : { direct: direct.has(id) }),
    });
  }
  return out.result(`uv.lock@1${typeof root.get('revision') === 'number' ? `.${root.get('revision')}` : ''}`);
}

export const uvLock: LockfileFormat = { name: 'uv.lock', ecosystem: 'PyPI', parse: parseUv };
