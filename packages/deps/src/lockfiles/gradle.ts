/**
 * Maven: Gradle dependency locks. gradle.lockfile and buildscript-gradle.lockfile (Gradle 6+: one line per module,
 * `group:artifact:version=configuration,…`) and the older per-configuration files under gradle/dependency-locks/
 * (`<configuration>.lockfile`, one `group:artifact:version` per line). A module locked only for test configurations
 * is dev.
 */
import { quote } from '@airlock/core';
import { type LockfileResult, lockfileError, type Scope } from '../model.ts';
import { Collector, type LockfileFormat, splitLines } from './common.ts';

const isTestConfiguration = (c: string) => /^test|Test[A-Z]/.test(c);

function scopeOf(configurations: readonly string[]): Scope {
  return configurations.length > 0 && configurations.every(isTestConfiguration) ? 'dev' : 'runtime';
}

function parseGradleLockfile(path: string, text: string): LockfileResult {
  const out = new Collector(path, 'Maven');
  const base = path.split('/').pop() ?? path;
  const perConfiguration = base !== 'gradle.lockfile' && base !== 'buildscript-gradle.lockfile';
  const fileConfiguration = perConfiguration ? base.replace(/\.lockfile$/, '') : undefined;
  splitLines(text).forEach((raw, i) => {
    const n = i + 1;
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const [coordinates, configs] = line.split('=', 2) as [string, string | undefined];
    if (coordinates === 'empty') return;
    const parts = coordinates.split(':');
    if (parts.length < 3 || parts.length > 4 || parts.some((p) => p === ''))
      throw lockfileError(path, n, `expected 'group:artifact:version', found ${quote(line)}`);
    if (!perConfiguration && configs === undefined)
      throw lockfileError(path, n, `expected '=configuration,…' after ${quote(coordinates)}`);
    const configurations =
      fileConfiguration !== undefined ? [fileConfiguration] : (configs ?? '').split(',').filter((c) => c !== '');
    out.add(`${parts[0]}:${parts[1]}`, parts[2] as string, n, { scope: scopeOf(configurations) });
  });
  return out.result(perConfiguration ? 'gradle/dependency-locks' : 'gradle.lockfile');
}

export const gradleLockfile: LockfileFormat = {
  name: 'gradle.lockfile',
  ecosystem: 'Maven',
  parse: parseGradleLockfile,
};
