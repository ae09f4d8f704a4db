/**
 * PyPI: Pipfile.lock (pipenv), pipfile-spec up to 6. `default` is runtime, `develop` dev; versions are `==x`; VCS,
 * path and editable entries without a version are reported as warnings.
 */
import { quote } from '@airlock/core';
import type { LockfileResult } from '../model.ts';
import { parseJson } from '../parse/json.ts';
import { isObj, Reader } from '../parse/tree.ts';
import { Collector, type LockfileFormat, pep503, unsupported } from './common.ts';

function parsePipfileLock(path: string, text: string): LockfileResult {
  const r: Reader = new Reader(path);
  const root = parseJson(text, path);
  if (!isObj(root)) return r.fail(1, 'expected a JSON object at the top of Pipfile.lock');
  const meta = r.optObj(root, '_meta');
  if (meta === undefined && root.get('default') === undefined)
    r.fail(1, "expected '_meta' and 'default'; is this a Pipfile.lock?");
  const spec = meta?.get('pipfile-spec');
  if (meta !== undefined && spec !== undefined && (typeof spec !== 'number' || spec > 6 || spec < 1))
    throw unsupported(
      path,
      meta.lineOf('pipfile-spec'),
      `pipfile-spec ${quote(String(spec))} is not supported (supported: up to 6)`,
    );
  const out = new Collector(path, 'PyPI');
  for (const [section, scope] of [
    ['default', 'runtime'],
    ['develop', 'dev'],
  ] as const) {
    const deps = r.optObj(root, section);
    if (deps === undefined) continue;
    for (const name of deps.keys) {
      const line = deps.lineOf(name);
      const entry = deps.get(name);
      if (!isObj(entry)) r.fail(line, `expected a mapping for the package ${quote(name)}`);
      const version = r.optStr(entry, 'version', ` of ${quote(name)}`);
      if (version === undefined) {
        if (entry.get('path') === undefined)
          out.warn(line, `${quote(name)} has no version (a VCS or editable requirement); not checked`);
        continue;
      }
      const m = /^===?\s*(\S+)$/.exec(version.trim());
      if (!m) {
        out.addUnpinned(pep503(name), version, line);
        continue;
      }
      out.add(pep503(name), m[1] as string, line, { scope });
    }
  }
  return out.result(`Pipfile.lock@${spec ?? 'unknown'}`);
}

export const pipfileLock: LockfileFormat = { name: 'Pipfile.lock', ecosystem: 'PyPI', parse: parsePipfileLock };
