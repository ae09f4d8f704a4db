import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isAlias, isMap, isPair, isScalar, isSeq, parseDocument } from 'yaml';
import { generateWorkflow } from '../../../bench/audit/generate.ts';
import { fastParse } from '../../../packages/audit/src/source/fast-yaml.ts';
import { FIXTURES, ROOT } from '../../support/paths.ts';

/**
 * The audit's fast YAML path must build exactly the nodes the yaml package builds (kinds, values, scalar types and
 * sources, flow flags, and all three range offsets, which become finding end positions and fix insertion points), or
 * give up. Checked node by node over the fixtures, the repository's own workflows and action metadata, generated
 * workflows, and mutations of all of them (comment and blank lines at random indentations, trailing comments, YAML
 * punctuation inserted, lines deleted or shifted).
 */
function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return yamlFiles(path);
    return /\.ya?ml$/.test(name) ? [path] : [];
  });
}

const kind = (n: unknown): string =>
  n === null || n === undefined
    ? 'null'
    : isMap(n)
      ? 'map'
      : isSeq(n)
        ? 'seq'
        : isScalar(n)
          ? 'scalar'
          : isPair(n)
            ? 'pair'
            : isAlias(n)
              ? 'alias'
              : 'other';

/** The first difference between two trees, or undefined. */
function difference(a: unknown, b: unknown, path = '$'): string | undefined {
  if (kind(a) !== kind(b)) return `${path}: ${kind(a)} vs ${kind(b)}`;
  if (a === null || a === undefined) return undefined;
  const x = a as Record<string, unknown> & { items?: unknown[] };
  const y = b as Record<string, unknown> & { items?: unknown[] };
  if (isPair(a)) return difference(x.key, y.key, `${path}.key`) ?? difference(x.value, y.value, `${path}.value`);
  if (JSON.stringify(x.range) !== JSON.stringify(y.range)) {
    return `${path}: range ${JSON.stringify(x.range)} vs ${JSON.stringify(y.range)}`;
  }
  if (isScalar(a)) {
    if (!Object.is(x.value, y.value)) return `${path}: value ${String(x.value)} vs ${String(y.value)}`;
    for (const p of ['type', 'source', 'format', 'tag', 'minFractionDigits', 'anchor']) {
      if (x[p] !== y[p]) return `${path}: ${p} ${String(x[p])} vs ${String(y[p])}`;
    }
    return undefined;
  }
  if (Boolean(x.flow) !== Boolean(y.flow) || x.tag !== y.tag) return `${path}: flow or tag`;
  const items = x.items ?? [];
  if (items.length !== (y.items ?? []).length) return `${path}: ${items.length} vs ${y.items?.length} items`;
  for (let i = 0; i < items.length; i++) {
    const d = difference(items[i], y.items?.[i], `${path}[${i}]`);
    if (d !== undefined) return d;
  }
  return undefined;
}

/** undefined when the fast path gave up or agrees with yaml; else what differs. */
function check(text: string): { fast: boolean; problem?: string } {
  const fast = fastParse(text);
  if (fast === undefined) return { fast: false };
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, strict: true, keepSourceTokens: false });
  if (doc.errors.length > 0 || doc.warnings.length > 0) {
    return { fast: true, problem: `yaml reports ${[...doc.errors, ...doc.warnings].map((e) => e.code).join(', ')}` };
  }
  const problem = difference(fast, doc.contents);
  return problem === undefined ? { fast: true } : { fast: true, problem };
}

const INSERTS = [
  ':',
  '-',
  ' ',
  '  ',
  '\n',
  '[',
  ']',
  '{',
  '}',
  '"',
  "'",
  '#',
  '|',
  '>',
  '&a',
  '*a',
  '${{',
  '}}',
  '- x',
  'a: b',
  '|-',
  '>-',
  "''",
  '0x1',
  '1.5',
  'null',
  '~',
  'true',
  '-1',
  '.inf',
  '"a\\nb"',
  '? ',
  '!t ',
  '@',
  '%',
  '\t',
];

function mutations(text: string, seed: number, count: number): string[] {
  let s = seed >>> 0;
  const rnd = () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 4294967296;
  };
  const out: string[] = [];
  for (let v = 0; v < count; v++) {
    const lines = text.split('\n');
    for (let m = 0; m < 1 + Math.floor(rnd() * 3); m++) {
      const i = Math.floor(rnd() * lines.length);
      const indent = ' '.repeat(Math.floor(rnd() * 12));
      const r = rnd();
      if (r < 0.3) lines.splice(i, 0, `${indent}# comment`);
      else if (r < 0.45) lines.splice(i, 0, '');
      else if (r < 0.55) lines.splice(i, 0, indent);
      else if (r < 0.7) lines[i] = `${lines[i]} # trailing`;
      else if (r < 0.8) lines.splice(i, 0, `${indent}# a`, '', `${indent}# b`);
      else if (r < 0.85) lines.splice(i, 1);
      else if (r < 0.9) lines[i] = ` ${lines[i]}`;
      else {
        const line = lines[i] ?? '';
        const at = Math.floor(rnd() * (line.length + 1));
        lines[i] = line.slice(0, at) + INSERTS[Math.floor(rnd() * INSERTS.length)] + line.slice(at);
      }
    }
    out.push(lines.join('\n'));
  }
  return out;
}

const corpus: Array<[string, string]> = [
  ...[...yamlFiles(join(FIXTURES, 'audit')), ...yamlFiles(join(ROOT, '.github/workflows'))].map(
    (f) => [f, readFileSync(f, 'utf8')] as [string, string],
  ),
  ...readdirSync(join(ROOT, 'actions'))
    .map((a) => join(ROOT, 'actions', a, 'action.yml'))
    .filter((f) => {
      try {
        return statSync(f).isFile();
      } catch {
        return false;
      }
    })
    .map((f) => [f, readFileSync(f, 'utf8')] as [string, string]),
  ...Array.from({ length: 150 }, (_, i) => [`generated ${i}`, generateWorkflow(i)] as [string, string]),
];

describe('the fast YAML path', () => {
  it('takes the generated workflows and most of the fixtures', () => {
    const generated = corpus.filter(([name]) => name.startsWith('generated'));
    expect(generated.every(([, text]) => fastParse(text) !== undefined)).toBe(true);
    expect(corpus.filter(([, text]) => fastParse(text) !== undefined).length).toBeGreaterThan(corpus.length / 2);
  });

  it('builds the same nodes and ranges as yaml, or gives up', () => {
    const problems: string[] = [];
    for (const [name, text] of corpus) {
      const { problem } = check(text);
      if (problem !== undefined) problems.push(`${name}: ${problem}`);
    }
    expect(problems).toEqual([]);
  });

  it('agrees with yaml on mutated files (comments, blank lines, punctuation)', () => {
    const problems: string[] = [];
    let fast = 0;
    let total = 0;
    corpus.forEach(([name, text], i) => {
      for (const variant of mutations(text, i + 1, 12)) {
        total++;
        const r = check(variant);
        if (r.fast) fast++;
        if (r.problem !== undefined) problems.push(`${name}: ${r.problem}\n${JSON.stringify(variant)}`);
      }
    });
    expect(problems.slice(0, 3)).toEqual([]);
    expect(fast).toBeGreaterThan(total / 4); // the comparison means something: many variants took the fast path
  });

  it.each([
    [
      'comments and blank lines',
      'a: 1 # c\n\nb:\n  - x\n    # deep\n  - y # z\n\n  # seq\nc: |\n  hi\n\n# end\nd: 1\n',
    ],
    ['trailing comments of nested collections', 'x:\n  a:\n    b: 1\n    # c\n\n  d: 1\n  # e\ny: 2\n'],
    ['block scalars', 'a: |\n\n  one\n    two\n\nb: >-\n  folded\n  text\n\n  para\nc: |-\n  x\n'],
    [
      'scalars of the core schema',
      "a: [1, 0x1f, 0o7, 1.50, .inf, ~, true, FALSE, null]\nb: 'it''s'\nc: \"q\"\nd: {}\n",
    ],
    ['an empty value and a sequence at the mapping indentation', 'a:\nb:\n- 1\n- -2\nc: -x\n'],
  ])('handles %s exactly as yaml', (_name, text) => {
    expect(fastParse(text)).toBeDefined();
    expect(check(text).problem).toBeUndefined();
  });

  it.each([
    ['anchors and aliases', 'a: &x 1\nb: *x\n'],
    ['tags', 'a: !!str 1\n'],
    ['multi-line plain scalars', 'a: one\n  two\n'],
    ['duplicate keys', 'a: 1\na: 2\n'],
    ['several documents', 'a: 1\n---\nb: 2\n'],
    ['tabs', 'a:\n\t- 1\n'],
    ['CRLF', 'a: 1\r\nb: 2\r\n'],
    ['escapes', 'a: "x\\ny"\n'],
    ['a missing final newline', 'a: 1'],
    ['bad indentation', 'a:\n  b: 1\n c: 2\n'],
  ])('leaves %s to yaml', (_name, text) => {
    expect(fastParse(text)).toBeUndefined();
  });
});
