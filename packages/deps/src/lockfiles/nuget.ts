/**
 * NuGet: packages.lock.json, version 1 and 2. One entry per target framework; `Project` entries are the solution's
 * own projects. `Direct` dependencies are direct. NuGet has no development scope in the lockfile.
 */
import { quote } from '@airlock/core';
import type { LockfileResult } from '../model.ts';
import { parseJson } from '../parse/json.ts';
import { isObj, Reader } from '../parse/tree.ts';
import { Collector, type LockfileFormat, unsupported } from './common.ts';

function parseNuGetLock(path: string, text: string): LockfileResult {
  const r: Reader = new Reader(path);
  const root = parseJson(text, path);
  if (!isObj(root)) return r.fail(1, 'expected a JSON object at the top of packages.lock.json');
  if (root.get('version') !== 1 && root.get('version') !== 2)
    throw unsupported(
      path,
      root.lineOf('version'),
      root.get('version') === undefined
        ? "expected 'version' at the top of packages.lock.json"
        : `packages.lock.json version ${quote(String(root.get('version')))} is not supported (supported: 1, 2)`,
    );
  const out = new Collector(path, 'NuGet');
  const frameworks = r.obj(root, 'dependencies');
  for (const tfm of frameworks.keys) {
    const deps = frameworks.get(tfm);
    if (!isObj(deps)) r.fail(frameworks.lineOf(tfm), `expected a mapping for the target framework ${quote(tfm)}`);
    for (const name of deps.keys) {
      const line = deps.lineOf(name);
      const entry = deps.get(name);
      if (!isObj(entry)) r.fail(line, `expected a mapping for the package ${quote(name)}`);
      const where = ` of ${quote(name)} (${tfm})`;
      const type = r.optStr(entry, 'type', where);
      if (type === 'Project') continue;
      const resolved = r.optStr(entry, 'resolved', where);
      if (resolved === undefined) {
        out.warn(line, `${quote(name)} (${tfm}) has no resolved version; not checked`);
        continue;
      }
      out.add(name, resolved, line, { direct: type === 'Direct' });
    }
  }
  return out.result(`packages.lock.json@${root.get('version')}`);
}

export const nugetLock: LockfileFormat = { name: 'packages.lock.json', ecosystem: 'NuGet', parse: parseNuGetLock };
