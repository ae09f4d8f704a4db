/**
 * npm: package-lock.json and npm-shrinkwrap.json, lockfileVersion 1 (nested `dependencies`), 2 and 3 (flat
 * `packages` keyed by install path; version 2 also carries the v1 section, which is ignored).
 */
import { quote } from '@airlock/core';
import type { LockfileResult, Scope } from '../model.ts';
import { parseJson } from '../parse/json.ts';
import { isObj, newObj, type Obj, Reader, type Where } from '../parse/tree.ts';
import { Collector, type LockfileFormat, unsupported } from './common.ts';

const NODE_MODULES = 'node_modules/';

function scopeOf(r: Reader, entry: Obj, where: Where): Scope {
  if (r.optBool(entry, 'dev', where) === true) return 'dev';
  if (r.optBool(entry, 'optional', where) === true || r.optBool(entry, 'devOptional', where) === true)
    return 'optional';
  return 'runtime';
}

/** `npm:real-name@1.2.3` (an alias), a registry version, or undefined for git, file and URL specs. */
export function npmVersionSpec(name: string, version: string): { name: string; version: string } | undefined {
  if (version.startsWith('npm:')) {
    const spec = version.slice(4);
    const at = spec.lastIndexOf('@');
    if (at <= 0) return undefined;
    return { name: spec.slice(0, at), version: spec.slice(at + 1) };
  }
  if (/^[a-z][a-z0-9+.-]*:/i.test(version) || version.includes('/')) return undefined;
  return { name, version };
}

/** Fields of a package entry the scan never reads: hashes, URLs, platform and engine constraints. */
const UNUSED_FIELDS = new Set([
  'integrity',
  'resolved',
  'engines',
  'bin',
  'funding',
  'os',
  'cpu',
  'libc',
  'peerDependenciesMeta',
  'hasInstallScript',
  'hasShrinkwrap',
  'requires',
  'deprecated',
  'gypfile',
]);
const DEPENDENCY_MAPS = new Set(['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies']);

function parsePackageLock(path: string, text: string, kind: string): LockfileResult {
  const r: Reader = new Reader(path);
  // Version 2 repeats every package in the v1 `dependencies` section, which version 2 readers ignore.
  const declared = /"lockfileVersion"\s*:\s*([0-9]+)/.exec(text.slice(0, 4096))?.[1];
  const skipLegacy = declared === '2' || declared === '3';
  const root = parseJson(text, path, {
    skip: (key, parentKey, depth) =>
      (depth === 1 && key === 'dependencies' && skipLegacy) ||
      (depth >= 3 && UNUSED_FIELDS.has(key)) ||
      // Installed packages' own dependency maps (the root's and workspaces' say which packages are direct).
      (depth === 3 && DEPENDENCY_MAPS.has(key) && parentKey?.includes(NODE_MODULES) === true),
  });
  if (!isObj(root)) return r.fail(1, `expected a JSON object at the top of ${kind}`);
  const out = new Collector(path, 'npm');
  const rawVersion = root.get('lockfileVersion');
  let version: number;
  if (rawVersion === undefined) {
    if (!isObj(root.get('dependencies')) && !isObj(root.get('packages')))
      return r.fail(1, `expected 'lockfileVersion' and 'packages' in ${kind}; is this an npm lockfile?`);
    out.warn(1, "no 'lockfileVersion': read as lockfileVersion 1");
    version = 1;
  } else if (rawVersion === 1 || rawVersion === 2 || rawVersion === 3) {
    version = rawVersion;
  } else {
    throw unsupported(
      path,
      root.lineOf('lockfileVersion'),
      `lockfileVersion ${typeof rawVersion === 'string' ? quote(rawVersion) : String(rawVersion)} is not supported (supported: 1, 2, 3); regenerate the lockfile with npm 7 or later`,
    );
  }
  if (version === 1 || (version === 2 && root.get('packages') === undefined)) {
    readV1(r, r.optObj(root, 'dependencies') ?? newObj(1), out);
  } else {
    if (root.get('packages') === undefined)
      r.fail(root.lineOf('lockfileVersion'), `expected a 'packages' mapping in a version ${version} lockfile`);
    readPackages(r, root, out);
  }
  return out.result(`${kind}@${version}`);
}

function readPackages(r: Reader, root: Obj, out: Collector): void {
  const packages = r.obj(root, 'packages');
  // Declared dependencies of the root and of each workspace: the packages installed for them are direct.
  const direct = new Set<string>();
  for (const key of packages.keys) {
    if (key !== '' && key.includes(NODE_MODULES)) continue;
    const entry = packages.get(key);
    if (!isObj(entry)) continue;
    for (const field of ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies']) {
      const deps = r.optObj(entry, field, ` of '${key}'`);
      if (deps === undefined) continue;
      for (const dep of deps.keys) {
        const nested = `${key === '' ? '' : `${key}/`}${NODE_MODULES}${dep}`;
        direct.add(packages.has(nested) ? nested : `${NODE_MODULES}${dep}`);
      }
    }
  }
  packages.each((key, entry, line) => {
    if (!isObj(entry)) r.fail(line, `expected a mapping for the package ${quote(key)}`);
    const at = key.lastIndexOf(NODE_MODULES);
    const where = () => ` of ${quote(key)}`;
    // The root, workspace sources and links are the project's own code, not registry packages.
    if (at < 0 || r.optBool(entry, 'link', where) === true) return;
    const installedAs = key.slice(at + NODE_MODULES.length);
    if (installedAs === '') r.fail(line, `expected a package name after 'node_modules/' in ${quote(key)}`);
    const name = r.optStr(entry, 'name', where) ?? installedAs;
    const version = r.optStr(entry, 'version', where);
    if (version === undefined || version === '') {
      out.warn(line, `${quote(key)} has no version; not checked`);
      return;
    }
    const spec = npmVersionSpec(name, version);
    if (spec === undefined) {
      out.warn(line, `${quote(key)} is not from a registry (${quote(version)}); not checked`);
      return;
    }
    const lic = entry.get('license');
    const license = typeof lic === 'string' ? lic : undefined;
    out.add(spec.name, spec.version, line, {
      scope: scopeOf(r, entry, where),
      direct: direct.has(key),
      ...(license === undefined ? {} : { license }),
    });
  });
}

function readV1(r: Reader, deps: Obj, out: Collector): void {
  // Iterative walk: nested `dependencies` can be deep.
  // v1 does not say which packages are direct (the top level is hoisted, not declared).
  const stack: Obj[] = [deps];
  while (stack.length > 0) {
    const current = stack.pop() as Obj;
    for (const name of current.keys) {
      const line = current.lineOf(name);
      const entry = current.get(name);
      if (!isObj(entry)) r.fail(line, `expected a mapping for the dependency ${quote(name)}`);
      const where = ` of ${quote(name)}`;
      const nested = r.optObj(entry, 'dependencies', where);
      if (nested !== undefined) stack.push(nested);
      const version = r.optStr(entry, 'version', where);
      if (version === undefined || version === '') {
        out.warn(line, `${quote(name)} has no version; not checked`);
        continue;
      }
      const spec = npmVersionSpec(name, version);
      if (spec === undefined) {
        out.warn(line, `${quote(name)} is not from a registry (${quote(version)}); not checked`);
        continue;
      }
      out.add(spec.name, spec.version, line, { scope: scopeOf(r, entry, where) });
    }
  }
}

export const packageLock: LockfileFormat = {
  name: 'package-lock.json',
  ecosystem: 'npm',
  parse: (path, text) => parsePackageLock(path, text, 'package-lock.json'),
};

export const npmShrinkwrap: LockfileFormat = {
  name: 'npm-shrinkwrap.json',
  ecosystem: 'npm',
  parse: (path, text) => parsePackageLock(path, text, 'npm-shrinkwrap.json'),
};
