/**
 * PyPI: pylock.toml and pylock.<name>.toml (PEP 751), lock-version 1.x. Scope from each package's marker: one that
 * depends on a dependency group outside `default-groups` is dev, one that depends on an extra is optional. Packages
 * from a local directory are the project's own code; VCS packages without a version are warned about.
 */
import { quote } from '@airlock/core';
import type { LockfileResult, Scope } from '../model.ts';
import { parseToml } from '../parse/toml.ts';
import { isObj, itemLine, Reader } from '../parse/tree.ts';
import { Collector, type LockfileFormat, pep503, unsupported } from './common.ts';

function parsePylock(path: string, text: string): LockfileResult {
  const r: Reader = new Reader(path);
  const root = parseToml(text, path);
  const lockVersion = r.optStr(root, 'lock-version');
  if (lockVersion === undefined || !/^1(\.[0-9]+)?$/.test(lockVersion))
    throw unsupported(
      path,
      root.lineOf('lock-version'),
      lockVersion === undefined
        ? "expected 'lock-version' at the top of a pylock.toml"
        : `pylock lock-version ${quote(lockVersion)} is not supported (supported: 1.x)`,
    );
  const defaultGroups = new Set(r.strings(root, 'default-groups'));
  const out = new Collector(path, 'PyPI');
  const packages = r.optArr(root, 'packages') ?? [];
  packages.forEach((p, i) => {
    const line = itemLine(packages, i);
    if (!isObj(p)) r.fail(line, 'expected [[packages]] to be a table');
    const name = r.str(p, 'name', ' in [[packages]]');
    const where = ` of the package ${quote(name)}`;
    if (p.get('directory') !== undefined) return;
    const version = r.optStr(p, 'version', where);
    if (version === undefined) {
      out.warn(p.lineOf('name'), `${quote(name)} has no version (a VCS or archive requirement); not checked`);
      return;
    }
    const marker = r.optStr(p, 'marker', where) ?? '';
    let scope: Scope = 'runtime';
    const groups = [...marker.matchAll(/['"]([^'"]+)['"]\s+in\s+dependency_groups/g)].map((m) => m[1] as string);
    if (groups.length > 0 && !groups.some((g) => defaultGroups.has(g))) scope = 'dev';
    else if (/\bextras\b/.test(marker)) scope = 'optional';
    out.add(pep503(name), version, p.lineOf('name'), { scope });
  });
  return out.result(`pylock.toml@${lockVersion}`);
}

export const pylockToml: LockfileFormat = { name: 'pylock.toml', ecosystem: 'PyPI', parse: parsePylock };
