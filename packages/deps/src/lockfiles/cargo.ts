/**
 * crates.io: Cargo.lock, format versions 1 and 2 (no `version` key) and 3, 4. Packages without a `source` are the
 * workspace's own crates; registry and git sources are checked by the version they lock.
 */
import { quote } from '@airlock/core';
import type { LockfileResult } from '../model.ts';
import { parseToml } from '../parse/toml.ts';
import { isObj, itemLine, Reader } from '../parse/tree.ts';
import { Collector, type LockfileFormat, unsupported } from './common.ts';

function parseCargo(path: string, text: string): LockfileResult {
  const r: Reader = new Reader(path);
  const root = parseToml(text, path);
  const version = root.get('version');
  if (version !== undefined && version !== 3 && version !== 4)
    throw unsupported(
      path,
      root.lineOf('version'),
      `Cargo.lock version ${quote(String(version))} is not supported (supported: 1 to 4)`,
    );
  if (root.get('package') === undefined && version === undefined)
    r.fail(1, 'expected [[package]] tables; is this a Cargo.lock?');
  const out = new Collector(path, 'crates.io');
  const packages = r.optArr(root, 'package') ?? [];
  packages.forEach((p, i) => {
    const line = itemLine(packages, i);
    if (!isObj(p)) r.fail(line, 'expected [[package]] to be a table');
    const name = r.str(p, 'name', ' in [[package]]');
    const where = ` of the crate ${quote(name)}`;
    const ver = r.str(p, 'version', where);
    const source = r.optStr(p, 'source', where);
    if (source === undefined) return;
    out.add(name, ver, p.lineOf('name'));
  });
  return out.result(`Cargo.lock@${version ?? '1-2'}`);
}

export const cargoLock: LockfileFormat = { name: 'Cargo.lock', ecosystem: 'crates.io', parse: parseCargo };
