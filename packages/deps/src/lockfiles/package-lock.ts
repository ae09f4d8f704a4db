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
  return fastPackageLock(path, text, kind) ?? positionedPackageLock(path, text, kind);
}

/** Any package-lock, with the positioned parser: exact errors with lines; {@link fastPackageLock} defers to it. */
export function positionedPackageLock(path: string, text: string, kind: string): LockfileResult {
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

const DEEPEST_FAST = 200;

/** Bail-out of the fast path: the positioned parser reads the file instead (and reports any error exactly). */
const SLOW = Symbol('slow');

/**
 * The common case fast: a well-formed version 2 or 3 lockfile. The engine's JSON.parse builds the values (several
 * times faster than the positioned parser, which is most of a scan's lockfile time on a 10,000-package lockfile),
 * one pass over the text finds the line of each key of `packages` (the only lines a result carries), and the entries
 * are read as {@link readPackages} reads them (a property test holds the two to the same result). Anything unusual
 * returns undefined and the positioned parser reads the file with its exact errors and warnings: invalid JSON, a
 * BOM, `\u` escapes or `__proto__` anywhere (the positioned parser refuses `__proto__` keys), duplicate keys in
 * `packages`, deep nesting, another lockfile version, and any value {@link readPackages} would reject.
 */
export function fastPackageLock(path: string, text: string, kind: string): LockfileResult | undefined {
  if (text.includes('__proto__') || text.includes('\\u')) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isPlainObject(json)) return undefined;
  const version = json.lockfileVersion;
  const entries = json.packages;
  if ((version !== 2 && version !== 3) || !isPlainObject(entries)) return undefined;
  const located = packageKeyLines(text);
  if (located === undefined || located.keys.length !== Object.keys(entries).length) return undefined;
  const { keys, lines } = located;
  if (new Set(keys).size !== keys.length) return undefined;
  const out = new Collector(path, 'npm');
  // As readPackages: the packages installed for the root's and workspaces' declared dependencies are direct.
  const direct = new Set<string>();
  for (const key of keys) {
    if (key !== '' && key.includes(NODE_MODULES)) continue;
    const entry = entries[key];
    if (!isPlainObject(entry)) continue;
    for (const field of ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies']) {
      const deps = Object.hasOwn(entry, field) ? entry[field] : undefined;
      if (deps === undefined || deps === null || deps === '') continue;
      if (!isPlainObject(deps)) return undefined;
      for (const dep of Object.keys(deps)) {
        const nested = `${key === '' ? '' : `${key}/`}${NODE_MODULES}${dep}`;
        direct.add(Object.hasOwn(entries, nested) ? nested : `${NODE_MODULES}${dep}`);
      }
    }
  }
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    const line = lines[i] as number;
    if (!Object.hasOwn(entries, key)) return undefined;
    const entry = entries[key];
    if (!isPlainObject(entry)) return undefined;
    const at = key.lastIndexOf(NODE_MODULES);
    if (at < 0) continue;
    const link = flag(entry, 'link');
    if (link === SLOW) return undefined;
    if (link === true) continue;
    const installedAs = key.slice(at + NODE_MODULES.length);
    if (installedAs === '') return undefined;
    const name = text_(entry, 'name');
    const version = text_(entry, 'version');
    if (name === SLOW || version === SLOW) return undefined;
    if (version === undefined || version === '') {
      out.warn(line, `${quote(key)} has no version; not checked`);
      continue;
    }
    const spec = npmVersionSpec(name ?? installedAs, version);
    if (spec === undefined) {
      out.warn(line, `${quote(key)} is not from a registry (${quote(version)}); not checked`);
      continue;
    }
    const dev = flag(entry, 'dev');
    const optional = flag(entry, 'optional');
    const devOptional = flag(entry, 'devOptional');
    if (dev === SLOW) return undefined;
    let scope: Scope = 'runtime';
    if (dev === true) scope = 'dev';
    else if (optional === SLOW) return undefined;
    else if (optional === true) scope = 'optional';
    else if (devOptional === SLOW) return undefined;
    else if (devOptional === true) scope = 'optional';
    const lic = Object.hasOwn(entry, 'license') ? entry.license : undefined;
    out.add(spec.name, spec.version, line, {
      scope,
      direct: direct.has(key),
      ...(typeof lic === 'string' ? { license: lic } : {}),
    });
  }
  return out.result(`${kind}@${version}`);
}

/** Reader.optBool on a plain value: SLOW where it would throw. */
function flag(entry: Record<string, unknown>, key: string): boolean | undefined | typeof SLOW {
  const v = Object.hasOwn(entry, key) ? entry[key] : undefined;
  if (v === undefined || v === null) return undefined;
  if (v === 'true') return true;
  if (v === 'false') return false;
  return typeof v === 'boolean' ? v : SLOW;
}

/** Reader.optStr on a plain value: SLOW where it would throw. */
function text_(entry: Record<string, unknown>, key: string): string | undefined | typeof SLOW {
  const v = Object.hasOwn(entry, key) ? entry[key] : undefined;
  if (v === undefined || v === null) return undefined;
  return typeof v === 'string' ? v : SLOW;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * The keys of the top-level `packages` object, in document order, with the line of each, from one pass over the text
 * of a document JSON.parse has accepted (so raw newlines occur only between tokens). Undefined when `packages` occurs
 * more than once at the top or nesting is deep (the positioned parser then reads the file).
 */
function packageKeyLines(text: string): { line: number; keys: string[]; lines: number[] } | undefined {
  const keys: string[] = [];
  const lines: number[] = [];
  const n = text.length;
  let line = 1;
  let depth = 0;
  let packagesDepth = -1; // the depth inside the packages object while in it
  let packagesLine = 0;
  let seen = 0;
  let topKey: string | undefined;
  for (let p = 0; p < n; p++) {
    const c = text.charCodeAt(p);
    if (c === 10) line++;
    else if (c === 123 || c === 91) {
      // { [
      if (c === 123 && depth === 1 && topKey === 'packages') {
        packagesDepth = 2;
      }
      depth++;
      if (depth > DEEPEST_FAST) return undefined;
    } else if (c === 125 || c === 93) {
      if (depth === packagesDepth) packagesDepth = -1;
      depth--;
    } else if (c === 34) {
      // A string: find its end (a quote not escaped by an odd run of backslashes).
      const start = p + 1;
      let end = text.indexOf('"', start);
      for (;;) {
        if (end < 0) return undefined;
        let slashes = 0;
        while (text.charCodeAt(end - 1 - slashes) === 92) slashes++;
        if (slashes % 2 === 0) break;
        end = text.indexOf('"', end + 1);
      }
      p = end;
      if (depth !== 1 && depth !== packagesDepth) continue;
      let q = end + 1;
      while (q < n) {
        const d = text.charCodeAt(q);
        if (d === 32 || d === 9 || d === 13 || d === 10) q++;
        else break;
      }
      if (text.charCodeAt(q) !== 58) continue; // a value, not a key
      const raw = text.slice(start, end);
      const key = raw.includes('\\') ? (JSON.parse(text.slice(start - 1, end + 1)) as string) : raw;
      if (depth === 1) {
        topKey = key;
        if (key === 'packages') {
          seen++;
          packagesLine = line;
        }
      } else {
        keys.push(key);
        lines.push(line);
      }
    }
  }
  if (seen !== 1) return undefined;
  return { line: packagesLine, keys, lines };
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
