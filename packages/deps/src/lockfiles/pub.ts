/**
 * Pub: pubspec.lock (Dart and Flutter). Hosted and git packages are checked; SDK packages (flutter, flutter_test)
 * and path packages are not on pub.dev. `direct dev` packages are dev; Pub does not say which transitive packages are
 * dev-only, so those are runtime.
 */
import { quote } from '@airlock/core';
import type { LockfileResult } from '../model.ts';
import { isObj, Reader } from '../parse/tree.ts';
import { parseYaml } from '../parse/yaml.ts';
import { Collector, type LockfileFormat } from './common.ts';

function parsePubspecLock(path: string, text: string): LockfileResult {
  const r: Reader = new Reader(path);
  const root = parseYaml(text, path);
  if (!isObj(root)) return r.fail(1, "expected a mapping with 'packages' at the top of pubspec.lock");
  if (root.get('packages') === undefined && root.get('sdks') === undefined)
    r.fail(1, "expected 'packages' and 'sdks'; is this a pubspec.lock?");
  const out = new Collector(path, 'Pub');
  const packages = r.optObj(root, 'packages');
  if (packages === undefined) return out.result('pubspec.lock');
  for (const name of packages.keys) {
    const line = packages.lineOf(name);
    const entry = packages.get(name);
    if (!isObj(entry)) r.fail(line, `expected a mapping for the package ${quote(name)}`);
    const where = ` of ${quote(name)}`;
    const source = r.optStr(entry, 'source', where);
    if (source === 'sdk' || source === 'path') continue;
    const version = r.str(entry, 'version', where);
    const dependency = r.optStr(entry, 'dependency', where) ?? 'transitive';
    out.add(name, version, line, {
      scope: dependency === 'direct dev' ? 'dev' : 'runtime',
      direct: dependency.startsWith('direct'),
    });
  }
  return out.result('pubspec.lock');
}

export const pubspecLock: LockfileFormat = { name: 'pubspec.lock', ecosystem: 'Pub', parse: parsePubspecLock };
