/**
 * Packagist: composer.lock. `packages` are runtime, `packages-dev` dev; a leading `v` of a tag version is dropped
 * (`v1.2.3` → `1.2.3`, as Packagist advisories write versions); branch versions (`dev-main`) are kept as written.
 * Licenses are an OR of the listed identifiers.
 */
import { quote } from '@airlock/core';
import type { LockfileResult } from '../model.ts';
import { parseJson } from '../parse/json.ts';
import { isObj, itemLine, Reader } from '../parse/tree.ts';
import { Collector, type LockfileFormat } from './common.ts';

function parseComposer(path: string, text: string): LockfileResult {
  const r: Reader = new Reader(path);
  const root = parseJson(text, path);
  if (!isObj(root)) return r.fail(1, 'expected a JSON object at the top of composer.lock');
  if (root.get('packages') === undefined && root.get('packages-dev') === undefined)
    r.fail(1, "expected 'packages' and 'packages-dev'; is this a composer.lock?");
  const out = new Collector(path, 'Packagist');
  for (const [section, scope] of [
    ['packages', 'runtime'],
    ['packages-dev', 'dev'],
  ] as const) {
    const list = r.optArr(root, section);
    if (list === undefined) continue;
    list.forEach((p, i) => {
      const line = itemLine(list, i);
      if (!isObj(p)) r.fail(line, `expected an object in '${section}'`);
      const name = r.str(p, 'name', ` in '${section}'`);
      const where = ` of ${quote(name)}`;
      const version = r.str(p, 'version', where).replace(/^[vV](?=[0-9])/, '');
      const licenses = r.strings(p, 'license', where);
      out.add(name.toLowerCase(), version, p.lineOf('name'), {
        scope,
        ...(licenses.length === 0
          ? {}
          : { license: licenses.length === 1 ? licenses[0] : `(${licenses.join(' OR ')})` }),
      });
    });
  }
  return out.result('composer.lock');
}

export const composerLock: LockfileFormat = { name: 'composer.lock', ecosystem: 'Packagist', parse: parseComposer };
