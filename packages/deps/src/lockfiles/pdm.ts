/**
 * PyPI: pdm.lock, lock_version 3.x and 4.x. A package whose `groups` do not include `default` is dev; editable and
 * local-path packages are the project's own code.
 */
import { quote } from '@airlock/core';
import type { LockfileResult } from '../model.ts';
import { parseToml } from '../parse/toml.ts';
import { isObj, itemLine, Reader } from '../parse/tree.ts';
import { Collector, type LockfileFormat, pep503, unsupported } from './common.ts';

function parsePdm(path: string, text: string): LockfileResult {
  const r: Reader = new Reader(path);
  const root = parseToml(text, path);
  const meta = r.optObj(root, 'metadata');
  if (meta === undefined) return r.fail(1, 'expected a [metadata] table; is this a pdm.lock?');
  const lockVersion = r.optStr(meta, 'lock_version', ' in [metadata]');
  if (lockVersion === undefined || !/^[34]\.[0-9]+(\.[0-9]+)?$/.test(lockVersion))
    throw unsupported(
      path,
      meta.lineOf('lock_version'),
      `pdm lock_version ${quote(lockVersion ?? '(none)')} is not supported (supported: 3.x, 4.x)`,
    );
  const out = new Collector(path, 'PyPI');
  const packages = r.optArr(root, 'package') ?? [];
  packages.forEach((p, i) => {
    const line = itemLine(packages, i);
    if (!isObj(p)) r.fail(line, 'expected [[package]] to be a table');
    const name = r.str(p, 'name', ' in [[package]]');
    const where = ` of the package ${quote(name)}`;
    if (p.get('path') !== undefined || r.optBool(p, 'editable', where) === true) return;
    const version = r.optStr(p, 'version', where);
    if (version === undefined) {
      out.warn(line, `${quote(name)} has no version; not checked`);
      return;
    }
    const groups = r.strings(p, 'groups', where);
    out.add(pep503(name), version, p.lineOf('name'), {
      scope: groups.length > 0 && !groups.includes('default') ? 'dev' : 'runtime',
    });
  });
  return out.result(`pdm.lock@${lockVersion}`);
}

export const pdmLock: LockfileFormat = { name: 'pdm.lock', ecosystem: 'PyPI', parse: parsePdm };
