/**
 * Go: go.mod (the build list's requirements, with `replace` applied: a replacement module is what is built, a local
 * directory replacement is the project's own code) and go.sum as a fallback when there is no go.mod (each module at
 * the highest version it has a content hash for, as minimal version selection would pick). Versions are written
 * without the `v` prefix, as OSV writes Go versions. Opt-in: the standard library (`stdlib`) at the version of the
 * `toolchain` directive, or of the `go` directive.
 */
import { quote } from '@airlock/core';
import { type LockfileResult, lockfileError } from '../model.ts';
import { goScheme } from '../versions/go.ts';
import { Collector, type LockfileFormat, type ParseOptions, splitLines } from './common.ts';

/** Tokens of a go.mod line: bare words, "interpreted" and `raw` strings; `//` starts a comment. */
function tokenize(line: string, path: string, n: number): { tokens: string[]; comment: string } {
  const tokens: string[] = [];
  let i = 0;
  while (i < line.length) {
    const c = line[i] as string;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (line.startsWith('//', i)) return { tokens, comment: line.slice(i + 2).trim() };
    if (c === '"') {
      let j = i + 1;
      let s = '';
      while (j < line.length && line[j] !== '"') {
        if (line[j] === '\\') {
          s += line[j + 1] ?? '';
          j += 2;
        } else s += line[j++];
      }
      if (j >= line.length) throw lockfileError(path, n, 'unterminated quoted string');
      tokens.push(s);
      i = j + 1;
      continue;
    }
    if (c === '`') {
      const j = line.indexOf('`', i + 1);
      if (j < 0) throw lockfileError(path, n, 'unterminated raw string');
      tokens.push(line.slice(i + 1, j));
      i = j + 1;
      continue;
    }
    if (c === '(' || c === ')') {
      tokens.push(c);
      i++;
      continue;
    }
    let j = i;
    while (j < line.length && !/[\s"`()]/.test(line[j] as string) && !line.startsWith('//', j)) j++;
    if (line.startsWith('=>', i)) j = i + 2;
    tokens.push(line.slice(i, j));
    i = j;
  }
  return { tokens, comment: '' };
}

const stripV = (v: string) => (v.startsWith('v') ? v.slice(1) : v);
const isLocalPath = (p: string) =>
  p.startsWith('./') || p.startsWith('../') || p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p);

interface Require {
  readonly path: string;
  readonly version: string;
  readonly line: number;
  readonly indirect: boolean;
}

interface Replace {
  readonly from: string;
  readonly fromVersion?: string;
  readonly to: string;
  readonly toVersion?: string;
  readonly line: number;
}

function parseGoMod(path: string, text: string, options: ParseOptions): LockfileResult {
  const lines = splitLines(text);
  const requires: Require[] = [];
  const replaces: Replace[] = [];
  let goVersion: { version: string; line: number } | undefined;
  let toolchain: { version: string; line: number } | undefined;
  let block: { verb: string; line: number } | undefined;
  let sawModule = false;
  const fail = (n: number, m: string): never => {
    throw lockfileError(path, n, m);
  };
  const checkVersion = (v: string, n: number, what: string) => {
    if (!v.startsWith('v') || !goScheme.isValid(v))
      fail(n, `expected a module version like v1.2.3 for ${what}, found ${quote(v)}`);
  };
  const directive = (verb: string, args: string[], n: number, comment: string) => {
    switch (verb) {
      case 'module':
        if (args.length !== 1) fail(n, 'expected one module path after module');
        sawModule = true;
        return;
      case 'go':
        if (args.length !== 1 || !/^[0-9]+\.[0-9]+(\.[0-9]+)?((rc|beta)[0-9]+)?$/.test(args[0] as string))
          fail(n, `expected a Go version like 1.22 or 1.22.3 after go, found ${quote(args.join(' '))}`);
        goVersion = { version: args[0] as string, line: n };
        return;
      case 'toolchain':
        if (args.length !== 1 || !/^go[0-9]+\.[0-9]+/.test(args[0] as string))
          fail(n, `expected a toolchain like go1.22.3 after toolchain, found ${quote(args.join(' '))}`);
        toolchain = { version: (args[0] as string).slice(2).split('-')[0] as string, line: n };
        return;
      case 'require':
        if (args.length !== 2) fail(n, `expected 'module/path v1.2.3' in require, found ${quote(args.join(' '))}`);
        checkVersion(args[1] as string, n, args[0] as string);
        requires.push({
          path: args[0] as string,
          version: args[1] as string,
          line: n,
          indirect: /^indirect(;|$)/.test(comment),
        });
        return;
      case 'replace': {
        const arrow = args.indexOf('=>');
        if (arrow < 1 || arrow > 2 || args.length - arrow - 1 < 1 || args.length - arrow - 1 > 2)
          fail(n, `expected 'old [version] => new [version]' in replace, found ${quote(args.join(' '))}`);
        const to = args[arrow + 1] as string;
        const toVersion = args[arrow + 2];
        if (toVersion !== undefined) checkVersion(toVersion, n, to);
        else if (!isLocalPath(to)) fail(n, `a replacement module needs a version: ${quote(args.join(' '))}`);
        replaces.push({
          from: args[0] as string,
          ...(arrow === 2 ? { fromVersion: args[1] as string } : {}),
          to,
          ...(toVersion === undefined ? {} : { toVersion }),
          line: n,
        });
        return;
      }
      case 'exclude':
      case 'retract':
      case 'godebug':
      case 'tool':
      case 'ignore':
        return;
      default:
        fail(n, `unknown go.mod directive ${quote(verb)}`);
    }
  };
  lines.forEach((raw, i) => {
    const n = i + 1;
    const { tokens, comment } = tokenize(raw, path, n);
    if (tokens.length === 0) return;
    if (block !== undefined) {
      if (tokens[0] === ')') {
        if (tokens.length > 1) fail(n, `unexpected ${quote(tokens.slice(1).join(' '))} after ')'`);
        block = undefined;
        return;
      }
      directive(block.verb, tokens, n, comment);
      return;
    }
    const [verb, ...args] = tokens as [string, ...string[]];
    if (args[0] === '(' && args.length === 1) {
      block = { verb, line: n };
      if (!['require', 'replace', 'exclude', 'retract', 'godebug', 'tool', 'ignore'].includes(verb))
        fail(n, `unknown go.mod block ${quote(verb)}`);
      return;
    }
    directive(verb, args, n, comment);
  });
  if (block !== undefined)
    fail(block.line, `the ${block.verb} block is never closed with ')' (is the file truncated?)`);
  if (!sawModule && requires.length === 0) fail(1, "expected a 'module' directive; is this a go.mod?");

  const out = new Collector(path, 'Go');
  for (const req of requires) {
    const rep =
      replaces.find((r) => r.from === req.path && r.fromVersion === req.version) ??
      replaces.find((r) => r.from === req.path && r.fromVersion === undefined);
    if (rep !== undefined && rep.toVersion === undefined) {
      out.warn(rep.line, `${quote(req.path)} is replaced by the local directory ${quote(rep.to)}; not checked`);
      continue;
    }
    const module = rep?.to ?? req.path;
    const version = rep?.toVersion ?? req.version;
    out.add(module, stripV(version), rep?.line ?? req.line, { direct: !req.indirect });
  }
  if (options.goStdlib === true) {
    const v = toolchain ?? goVersion;
    if (v !== undefined) {
      const parts = v.version.replace(/(rc|beta)[0-9]+$/, '').split('.');
      while (parts.length < 3) parts.push('0');
      out.add('stdlib', parts.join('.'), v.line, { direct: true });
    }
  }
  return out.result('go.mod');
}

function parseGoSum(path: string, text: string): LockfileResult {
  const best = new Map<string, { version: string; line: number }>();
  splitLines(text).forEach((raw, i) => {
    const n = i + 1;
    const line = raw.trim();
    if (line === '') return;
    const parts = line.split(/\s+/);
    if (parts.length !== 3 || !/^h1:[A-Za-z0-9+/=]+$/.test(parts[2] as string))
      throw lockfileError(path, n, `expected 'module version h1:hash', found ${quote(line)}`);
    const [module, version] = parts as [string, string];
    if (version.endsWith('/go.mod')) return;
    if (!version.startsWith('v') || !goScheme.isValid(version))
      throw lockfileError(path, n, `expected a module version like v1.2.3, found ${quote(version)}`);
    const prev = best.get(module);
    if (prev === undefined || goScheme.compare(version, prev.version) > 0) best.set(module, { version, line: n });
  });
  const out = new Collector(path, 'Go');
  for (const [module, { version, line }] of best) out.add(module, stripV(version), line);
  return out.result('go.sum');
}

export const goMod: LockfileFormat = { name: 'go.mod', ecosystem: 'Go', parse: parseGoMod };
export const goSum: LockfileFormat = { name: 'go.sum', ecosystem: 'Go', parse: parseGoSum };
