/**
 * Hex: mix.lock (Elixir). Each entry is `"app": {:hex, :package, "version", checksum, managers, deps, repo, …}`;
 * the Hex package name is the tuple's second element (it can differ from the app name). Git dependencies have no
 * version and are warned about. Mix does not write scope into the lockfile, so every package is runtime.
 */
import { quote } from '@airlock/core';
import { type LockfileResult, lockfileError } from '../model.ts';
import { parseElixirTerm } from '../parse/elixir.ts';
import { Collector, type LockfileFormat } from './common.ts';

function parseMixLock(path: string, text: string): LockfileResult {
  if (text.trim() === '') return new Collector(path, 'Hex').result('mix.lock');
  const root = parseElixirTerm(text, path);
  if (root.t !== 'map') throw lockfileError(path, root.line, 'expected a map (%{…}) at the top of mix.lock');
  const out = new Collector(path, 'Hex');
  for (const { key, value, line } of root.entries) {
    const app = key.t === 'string' || key.t === 'atom' ? key.value : undefined;
    if (app === undefined) throw lockfileError(path, line, 'expected a dependency name as the key');
    if (value.t !== 'tuple' || value.items.length < 2 || value.items[0]?.t !== 'atom')
      throw lockfileError(path, line, `expected a {:hex, …} or {:git, …} tuple for ${quote(app)}`);
    const scm = value.items[0].value;
    if (scm !== 'hex') {
      out.warn(line, `${quote(app)} comes from ${scm}, not from Hex; not checked`);
      continue;
    }
    const [, name, version] = value.items;
    if (name?.t !== 'atom' || version?.t !== 'string')
      throw lockfileError(path, line, `expected {:hex, :name, "version", …} for ${quote(app)}`);
    out.add(name.value, version.value, line);
  }
  return out.result('mix.lock');
}

export const mixLock: LockfileFormat = { name: 'mix.lock', ecosystem: 'Hex', parse: parseMixLock };
