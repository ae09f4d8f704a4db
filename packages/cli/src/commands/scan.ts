import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  AIRLOCK_VERSION,
  createNodeFetch,
  HttpClient,
  InputError,
  proxySettingsFromEnv,
  realSleep,
} from '@airlock/core';
import {
  DEFAULT_POLICY,
  FAIL_ON,
  type FailOn,
  listPackages,
  mergePolicy,
  parsePolicyFile,
  resolveBase,
  SCOPES,
  type Scope,
  scan,
  toCycloneDx,
  toJsonReport,
  toSarif,
  toTable,
  UNSCORED,
  type UnscoredPolicy,
} from '@airlock/deps';
import { type Command, EXIT } from '../cli.ts';

/**
 * `airlock scan [PATH…]`: the same scan as actions/scan — lockfiles found under the paths, matched exactly against
 * OSV advisories (an offline export with --offline-db, else the OSV API), gated by the policy in airlock.yml and the
 * options. `--base REF` reports only what changed since REF. `--list-packages` prints the packages of exactly the
 * given lockfiles, without any advisory lookup.
 */
export const scanCommand: Command = {
  path: ['scan'],
  summary: 'Scan lockfiles for vulnerable dependencies (OSV) and apply the policy.',
  args: '[PATH…]',
  description:
    'Exits 0 when the policy passes, 1 when it fails (vulnerabilities at or above --fail-on, license violations), 2 for a bad option, lockfile or policy file, 3 when the advisory database is unavailable.',
  formats: ['table', 'json', 'sarif', 'cyclonedx'],
  options: {
    'offline-db': {
      type: 'string',
      value: 'DIR',
      description: 'OSV exports (DIR/<Ecosystem>/all.zip) instead of the OSV API.',
    },
    'index-dir': {
      type: 'string',
      value: 'DIR',
      description: 'Keep name indexes of the offline exports here, so later scans read only relevant advisories.',
    },
    'osv-api-url': { type: 'string', value: 'URL', description: 'The OSV API (default https://api.osv.dev).' },
    'fail-on': {
      type: 'string',
      value: 'SEVERITY',
      description: `Fail at or above: ${FAIL_ON.join(', ')} (default high).`,
    },
    unscored: {
      type: 'string',
      value: 'WHAT',
      description: 'Advisories without severity: fail, warn or ignore (default fail).',
    },
    scopes: { type: 'string', value: 'LIST', description: 'Gated scopes: runtime,dev,optional (default all).' },
    policy: { type: 'string', value: 'FILE', description: 'Policy file (default airlock.yml when present).' },
    base: { type: 'string', value: 'REF', description: 'Report only what changed since this git revision.' },
    'list-packages': {
      type: 'boolean',
      description: 'Print the packages of the given lockfiles (no advisory lookup).',
    },
    'go-stdlib': {
      type: 'boolean',
      description: "Also scan the Go standard library named by go.mod's toolchain/go directive.",
    },
  },
  async run({ values, positionals, format, io, out, err, progress }) {
    const cwd = io.cwd;
    if (values['list-packages'] === true) {
      if (positionals.length === 0)
        throw new InputError('input-invalid', '--list-packages needs at least one lockfile');
      const packages = await listPackages([...positionals], { root: cwd, goStdlib: values['go-stdlib'] === true });
      if (format === 'json') out(JSON.stringify(packages, null, 2));
      else
        for (const p of packages)
          out(`${p.ecosystem}\t${p.name}\t${p.version}\t${p.scope}\t${p.source.path}:${p.source.line}`);
      return EXIT.ok;
    }
    const option = (name: string) => (typeof values[name] === 'string' ? (values[name] as string) : undefined);
    const choice = <T extends string>(name: string, options: readonly T[]): T | undefined => {
      const value = option(name);
      if (value !== undefined && !(options as readonly string[]).includes(value)) {
        throw new InputError(
          'input-invalid',
          `option '--${name}' must be one of ${options.join(', ')}; got '${value}'`,
        );
      }
      return value as T | undefined;
    };
    const policyPath = option('policy');
    let policy = DEFAULT_POLICY;
    const policyFile = resolve(cwd, policyPath ?? 'airlock.yml');
    if (existsSync(policyFile)) policy = parsePolicyFile(readFileSync(policyFile, 'utf8'), policyPath ?? 'airlock.yml');
    else if (policyPath !== undefined)
      throw new InputError('input-invalid', `option '--policy': ${policyPath} does not exist`);
    const failOn = choice<FailOn>('fail-on', FAIL_ON);
    const unscored = choice<UnscoredPolicy>('unscored', UNSCORED);
    const scopes = option('scopes')
      ?.split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '')
      .map((s) => {
        if (!(SCOPES as readonly string[]).includes(s))
          throw new InputError('input-invalid', `option '--scopes': unknown scope '${s}'`);
        return s as Scope;
      });
    policy = mergePolicy(policy, {
      ...(failOn === undefined ? {} : { failOn }),
      ...(unscored === undefined ? {} : { unscored }),
      ...(scopes === undefined ? {} : { scopes }),
    });
    const offline = option('offline-db');
    const baseRef = option('base');
    progress.update('airlock scan: reading lockfiles and advisories…');
    const report = await scan({
      root: cwd,
      paths: positionals.length === 0 ? ['.'] : [...positionals],
      source:
        offline !== undefined
          ? {
              kind: 'offline',
              dir: resolve(cwd, offline),
              ...(option('index-dir') === undefined ? {} : { indexDir: resolve(cwd, option('index-dir') as string) }),
            }
          : {
              kind: 'online',
              http: new HttpClient({
                fetch: createNodeFetch({ proxy: proxySettingsFromEnv(io.env) }),
                sleep: realSleep,
                userAgent: `airlock-cli/${AIRLOCK_VERSION}`,
              }),
              baseUrl: option('osv-api-url') ?? 'https://api.osv.dev',
            },
      policy,
      ...(baseRef === undefined ? {} : { base: resolveBase(baseRef, cwd) }),
      goStdlib: values['go-stdlib'] === true,
    });
    progress.done();
    const tool = {
      name: 'Airlock scan',
      version: AIRLOCK_VERSION,
      informationUri: 'https://github.com/airlock-actions/airlock',
    };
    if (format === 'json') out(JSON.stringify(toJsonReport(report), null, 2));
    else if (format === 'sarif') out(JSON.stringify(toSarif(report, tool), null, 2));
    else if (format === 'cyclonedx') out(toCycloneDx(report, tool, new Date()));
    else out(toTable(report));
    if (format !== 'table' && report.policy.failed) err(`airlock scan: ${report.policy.reasons.join('; ')}`);
    return report.policy.failed ? EXIT.findings : EXIT.ok;
  },
};
