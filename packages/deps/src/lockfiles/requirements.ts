/**
 * PyPI: pip requirements files (`requirements*.txt`). Follows pip's reading rules: backslash continuations, comments,
 * `-r`/`-c` includes relative to the including file, per-requirement options (`--hash`), extras, markers, and direct
 * references (`name @ url`, VCS URLs, wheel and sdist files). A requirement that does not pin one version with `==` or
 * `===` is reported as unpinned, never dropped; a constraints file (`-c`) pins the requirements it names.
 */
import { quote } from '@airlock/core';
import { type LockfileResult, lockfileError, type Scope } from '../model.ts';
import { Collector, dirOf, joinPath, type LockfileFormat, type ParseOptions, pep503, splitLines } from './common.ts';

interface LogicalLine {
  readonly line: number;
  readonly text: string;
}

/** pip's join_lines + ignore_comments: continuations joined, comments removed, blank lines dropped. */
export function logicalLines(text: string): LogicalLine[] {
  const out: LogicalLine[] = [];
  const physical = splitLines(text);
  let pending: string[] = [];
  let startLine = 0;
  const isComment = (l: string) => /^\s*#/.test(l);
  const emit = (line: number, joined: string) => {
    const stripped = joined.replace(/(^|\s+)#.*$/, '').trim();
    if (stripped !== '') out.push({ line, text: stripped });
  };
  physical.forEach((raw, i) => {
    const n = i + 1;
    if (!raw.endsWith('\\') || isComment(raw)) {
      const l = isComment(raw) ? ` ${raw}` : raw;
      if (pending.length > 0) {
        pending.push(l);
        emit(startLine, pending.join(''));
        pending = [];
      } else emit(n, l);
    } else {
      if (pending.length === 0) startLine = n;
      pending.push(raw.replace(/^\\+|\\+$/g, ''));
    }
  });
  if (pending.length > 0) emit(startLine, pending.join(''));
  return out;
}

const NAME = /^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(\[[^\]]*\])?\s*/;
const CLAUSE = /^\s*(~=|===|==|!=|<=|>=|<|>)\s*([^\s,;]+)\s*$/;

export interface Requirement {
  readonly name: string;
  /** The version when one `==`/`===` clause pins it. */
  readonly pinned?: string;
  /** The specifier as written (`>=2,<3`, `@ https://…`, or '' for none). */
  readonly spec: string;
}

/** A direct reference's file name: `name-1.2.3-py3-none-any.whl`, `name-1.2.3.tar.gz`. */
function fromArchiveName(url: string): { name: string; version: string } | undefined {
  const file = decodeURIComponent(url.split(/[?#]/)[0]?.split('/').pop() ?? '');
  const wheel = /^([A-Za-z0-9_.]+?)-([0-9][^-]*)(?:-\d[^-]*)?-[^-]+-[^-]+-[^-]+\.whl$/.exec(file);
  if (wheel) return { name: wheel[1] as string, version: wheel[2] as string };
  const sdist = /^([A-Za-z0-9_.-]+?)-([0-9][A-Za-z0-9.!+_]*)\.(?:tar\.gz|tar\.bz2|tgz|zip)$/.exec(file);
  if (sdist) return { name: sdist[1] as string, version: sdist[2] as string };
  return undefined;
}

/** A local directory (`.`, `./lib`, `../x`, `/abs`, `file:…`): the project's own code. */
const LOCAL_PATH = /^(?:\.{1,2}(?:[\\/]|$)|\/|file:)/i;

/**
 * Parse one PEP 508 requirement (without pip options): a requirement, a local directory (`{ local }`), or what is
 * wrong with it (`{ error }`).
 */
export function parseRequirement(text: string): Requirement | { error: string } | { local: string } {
  const noMarker = text.split(';')[0]?.trim() ?? '';
  // A bare URL or path (pip accepts them): the name comes from #egg= or the archive's file name.
  if (/^(?:[a-z][a-z0-9+.-]*:\/\/|git\+|hg\+|svn\+|bzr\+|file:)/i.test(noMarker) || LOCAL_PATH.test(noMarker)) {
    const egg = /[#&]egg=([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(noMarker);
    const archive = fromArchiveName(noMarker);
    if (archive !== undefined && !/^(git|hg|svn|bzr)\+/i.test(noMarker))
      return { name: archive.name, pinned: archive.version, spec: `@ ${noMarker}` };
    if (egg) return { name: egg[1] as string, spec: `@ ${noMarker}` };
    if (LOCAL_PATH.test(noMarker)) return { local: noMarker };
    return { error: `cannot tell the package name of ${quote(noMarker)}; add #egg=<name> or write it as 'name @ url'` };
  }
  const m = NAME.exec(noMarker);
  if (!m) return { error: `expected a package name, found ${quote(noMarker)}` };
  const name = m[1] as string;
  let rest = noMarker.slice(m[0].length).trim();
  if (rest.startsWith('@')) {
    const url = rest.slice(1).trim();
    if (url === '') return { error: `expected a URL after '@' in ${quote(noMarker)}` };
    const archive = fromArchiveName(url);
    if (archive !== undefined && pep503(archive.name) === pep503(name) && !/^(git|hg|svn|bzr)\+/i.test(url))
      return { name, pinned: archive.version, spec: `@ ${url}` };
    return { name, spec: `@ ${url}` };
  }
  if (rest.startsWith('(') && rest.endsWith(')')) rest = rest.slice(1, -1).trim();
  if (rest === '') return { name, spec: '' };
  let pinned: string | undefined;
  let pins = 0;
  for (const clause of rest.split(',')) {
    const c = CLAUSE.exec(clause);
    if (!c) return { error: `expected a version specifier like '==1.2.3', found ${quote(clause.trim())}` };
    if ((c[1] === '==' && !(c[2] as string).endsWith('*')) || c[1] === '===') {
      pins++;
      pinned = c[2] as string;
    }
  }
  const spec = rest.replace(/\s+/g, '');
  return pins === 1 && pinned !== undefined ? { name, pinned, spec } : { name, spec };
}

/** Requirements files whose name says development or test. */
function scopeOfFile(path: string): Scope {
  const base = path.split('/').pop() ?? path;
  return /(^|[^a-z])(dev|develop|development|test|tests|testing|lint|docs?|ci|typing)([^a-z]|$)/i.test(base)
    ? 'dev'
    : 'runtime';
}

const OPTION = /^(-[A-Za-z]|--[A-Za-z][A-Za-z0-9-]*)(?:(?:\s*=\s*|\s+)(.*))?$/;
const OPTIONS_WITH_VALUE = new Set([
  '-i',
  '--index-url',
  '--extra-index-url',
  '-f',
  '--find-links',
  '--trusted-host',
  '--no-binary',
  '--only-binary',
  '--use-feature',
  '--config-settings',
  '--global-option',
]);
const FLAGS = new Set(['--no-index', '--pre', '--prefer-binary', '--require-hashes']);

interface Pin {
  readonly version: string;
  readonly path: string;
  readonly line: number;
}

class RequirementsReader {
  private readonly out: Collector;
  private readonly options: ParseOptions;
  private readonly visiting = new Set<string>();
  private readonly seen = new Set<string>();
  private readonly constraints = new Map<string, Pin>();
  private readonly wanted: { name: string; spec: string; path: string; line: number; scope: Scope }[] = [];

  constructor(out: Collector, options: ParseOptions) {
    this.out = out;
    this.options = options;
  }

  read(path: string, text: string, constraint: boolean): void {
    this.visiting.add(path);
    this.seen.add(`${constraint ? 'c' : 'r'}:${path}`);
    const scope = scopeOfFile(path);
    for (const { line, text: l } of logicalLines(text)) {
      if (l.startsWith('-')) {
        this.option(path, line, l, constraint);
        continue;
      }
      // Per-requirement options (--hash, --config-settings…) start at the first token beginning with '-'.
      const tokens = l.split(' ');
      const cut = tokens.findIndex((t) => t.startsWith('-'));
      const req = (cut < 0 ? tokens : tokens.slice(0, cut)).join(' ').trim();
      if (req === '') continue;
      const parsed = parseRequirement(req);
      if ('error' in parsed) throw this.error(path, line, parsed.error);
      if ('local' in parsed) {
        this.out.warn(line, `${quote(parsed.local)} is a local directory (the project's own code); not checked`, path);
        continue;
      }
      const name = pep503(parsed.name);
      if (constraint) {
        if (parsed.pinned !== undefined && !this.constraints.has(name))
          this.constraints.set(name, { version: parsed.pinned, path, line });
        continue;
      }
      if (parsed.pinned !== undefined) this.out.add(name, parsed.pinned, line, { scope, path, direct: true });
      else this.wanted.push({ name, spec: parsed.spec, path, line, scope });
    }
    this.visiting.delete(path);
  }

  /** Requirements without a pin: pinned by a constraints file, or reported as unpinned. */
  finish(): void {
    for (const w of this.wanted) {
      const pin = this.constraints.get(w.name);
      if (pin !== undefined)
        this.out.add(w.name, pin.version, pin.line, { scope: w.scope, path: pin.path, direct: true });
      else this.out.addUnpinned(w.name, w.spec, w.line, w.path);
    }
  }

  private error(path: string, line: number, message: string) {
    return lockfileError(path, line, message);
  }

  private option(path: string, line: number, text: string, inConstraints: boolean): void {
    const m = OPTION.exec(text);
    if (!m) throw this.error(path, line, `cannot read the option ${quote(text)}`);
    const flag = m[1] as string;
    const value = (m[2] ?? '').trim();
    const include = (constraint: boolean) => {
      if (value === '') throw this.error(path, line, `expected a file name after ${flag}`);
      if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
        this.out.warn(
          line,
          `${flag} ${quote(value)} is a URL; it was not fetched and its requirements are not checked`,
          path,
        );
        return;
      }
      const target = joinPath(dirOf(path), value);
      if (target === undefined)
        throw this.error(path, line, `${flag} ${quote(value)} points outside the scanned directory`);
      if (this.visiting.has(target)) {
        this.out.warn(line, `${flag} ${quote(value)} includes itself (a cycle); not read again`, path);
        return;
      }
      if (this.seen.has(`${constraint ? 'c' : 'r'}:${target}`)) return;
      if (this.options.readFile === undefined) {
        this.out.warn(
          line,
          `${flag} ${quote(value)} was not read (no file access); its requirements are not checked`,
          path,
        );
        return;
      }
      const text = this.options.readFile(target);
      if (text === undefined) throw this.error(path, line, `cannot read ${quote(value)} (included with ${flag})`);
      this.read(target, text, constraint || inConstraints);
    };
    switch (flag) {
      case '-r':
      case '--requirement':
        include(false);
        return;
      case '-c':
      case '--constraint':
        include(true);
        return;
      case '-e':
      case '--editable': {
        if (value === '') throw this.error(path, line, `expected a path or URL after ${flag}`);
        const parsed = parseRequirement(value);
        const egg = /[#&]egg=([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(value);
        const name = 'name' in parsed ? parsed.name : egg?.[1];
        if (name === undefined) {
          this.out.warn(line, `editable requirement ${quote(value)} has no package name; not checked`, path);
          return;
        }
        if (!inConstraints) this.out.addUnpinned(pep503(name), `-e ${value}`, line, path);
        return;
      }
      default:
        if (OPTIONS_WITH_VALUE.has(flag) || FLAGS.has(flag)) return;
        this.out.warn(line, `unknown option ${flag}; ignored`, path);
    }
  }
}

function parseRequirements(path: string, text: string, options: ParseOptions): LockfileResult {
  const out = new Collector(path, 'PyPI');
  const reader = new RequirementsReader(out, options);
  reader.read(path, text, false);
  reader.finish();
  return out.result('requirements.txt');
}

export const requirementsTxt: LockfileFormat = {
  name: 'requirements*.txt',
  ecosystem: 'PyPI',
  parse: parseRequirements,
};
