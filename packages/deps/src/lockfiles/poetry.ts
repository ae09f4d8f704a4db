/**
 * PyPI: poetry.lock, lock-version 1.x (`category = "main" | "dev"`) and 2.x (`groups = [...]`). Packages from a local
 * directory or file are the project's own code and skipped; git and URL sources are checked by the version they
 * declare.
 */
import { quote } from '@airlock/core';
import type { LockfileResult, Scope } from '../model.ts';
import { parseToml } from '../parse/toml.ts';
import { isObj, itemLine, Reader } from '../parse/tree.ts';
import { Collector, type LockfileFormat, pep503, unsupported } from './common.ts';

function parsePoetry(path: string, text: string): LockfileResult {
  const r: Reader = new Reader(path);
  const root = parseToml(text, path);
  const meta = r.optObj(root, 'metadata');
  const lockVersion = meta === undefined ? undefined : r.optStr(meta, 'lock-version', ' in [metadata]');
  if (lockVersion !== undefined && !/^[12]\.[0-9]+$/.test(lockVersion))
    throw unsupported(
      path,
      meta === undefined ? 1 : meta.lineOf('lock-version'),
      `poetry lock-version ${quote(lockVersion)} is not supported (supported: 1.x, 2.x)`,
    );
  if (meta === undefined && root.get('package') === undefined)
    r.fail(1, 'expected [[package]] tables and a [metadata] table; is this a poetry.lock?');
  const out = new Collector(path, 'PyPI');
  const packages = r.optArr(root, 'package') ?? [];
  packages.forEach((p, i) => {
    const line = itemLine(packages, i);
    if (!isObj(p)) r.fail(line, 'expected [[package]] to be a table');
    const name = r.str(p, 'name', ' in [[package]]');
    const where = ` of the package ${quote(name)}`;
    const version = r.str(p, 'version', where);
    const source = r.optObj(p, 'source', where);
    const sourceType = source === undefined ? undefined : r.optStr(source, 'type', where);
    if (sourceType === 'directory' || sourceType === 'file') return;
    const category = r.optStr(p, 'category', where);
    const groups = r.strings(p, 'groups', where);
    let scope: Scope = 'runtime';
    if (category === 'dev' || (groups.length > 0 && !groups.includes('main'))) scope = 'dev';
    else if (r.optBool(p, 'optional', where) === true) scope = 'optional';
    out.add(pep503(name), version, p.lineOf('name'), { scope });
  });
  return out.result(`poetry.lock@${lockVersion ?? 'unknown'}`);
}

export const poetryLock: LockfileFormat = { name: 'poetry.lock', ecosystem: 'PyPI', parse: parsePoetry };
