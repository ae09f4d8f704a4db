import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'acorn';
import { describe, expect, it } from 'vitest';
import { eagerStartup } from '../../../scripts/lib/eager.ts';
import { ROOT } from '../../support/paths.ts';

// The shape ncc gives an ESM bundle: a module table, the runtime's require, the entry. Module 1 is the entry, 2 is
// loaded by it, 3 only by a dynamic import, 4 by nobody; 5 is loaded by 2 through a require parameter named
// differently.
const BUNDLE = [
  'import{createRequire as e}from"module";',
  'var t={',
  '1:(e,t,s)=>{t.x=s(2).y+1;t.later=()=>Promise.resolve().then(s.bind(s,3))},',
  '2:function(e,t,n){t.y=n(5).v},',
  '3:(e,t,s)=>{t.z="lazy"},',
  '4:e=>{e.exports="unused"},',
  '5:(e,t)=>{t.v=41}',
  '};var r={};',
  'function __nccwpck_require__(e){var n=r[e];if(n!==undefined)return n.exports;var s=r[e]={exports:{}};t[e](s,s.exports,__nccwpck_require__);return s.exports}',
  'export const out=__nccwpck_require__(1);',
].join('');

async function evaluate(code: string): Promise<{ out: { x: number; later: () => Promise<{ z: string }> } }> {
  return import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`);
}

describe('eagerStartup (start-up compile hints for bundles)', () => {
  it('wraps the factories the entry loads statically and leaves dynamically imported and unused ones lazy', () => {
    const result = eagerStartup(BUNDLE);
    expect([...result.eager].sort()).toEqual(['1', '2', '5']);
    expect([...result.lazy].sort()).toEqual(['3', '4']);
    expect(result.code).toContain('1:((e,t,s)=>{');
    expect(result.code).toContain('2:(function(e,t,n){t.y=n(5).v})');
    expect(result.code).toContain('3:(e,t,s)=>{t.z="lazy"}');
    expect(result.code).toContain('4:e=>{');
    // only parentheses were added
    expect(result.code.replace(/[()]/g, '')).toBe(BUNDLE.replace(/[()]/g, ''));
  });

  it('does not change what the bundle does', async () => {
    const before = await evaluate(BUNDLE);
    const after = await evaluate(eagerStartup(BUNDLE).code);
    expect(after.out.x).toBe(42);
    expect(after.out.x).toBe(before.out.x);
    expect((await after.out.later()).z).toBe('lazy');
  });

  it('returns code without a module table unchanged', () => {
    const code = 'export const a = 1;\nconsole.log(a);\n';
    expect(eagerStartup(code)).toEqual({ code, eager: [], lazy: [] });
  });

  it('names the bundle when it does not parse', () => {
    expect(() => eagerStartup('var t={1:(e)=>{', 'audit/index.js')).toThrow(
      /^build: audit\/index\.js does not parse: /,
    );
  });

  it('is applied to the built actions: dist/audit compiles its entry eagerly and keeps Octokit lazy', () => {
    const code = readFileSync(join(ROOT, 'dist/audit/index.js'), 'utf8');
    const program = parse(code, { ecmaVersion: 'latest', sourceType: 'module' });
    const table = program.body
      .flatMap((s) => (s.type === 'VariableDeclaration' ? s.declarations : []))
      .map((d) => d.init)
      .find((init) => init?.type === 'ObjectExpression' && init.properties.length > 10);
    if (table?.type !== 'ObjectExpression') throw new Error('no module table in dist/audit/index.js');
    const factories = new Map(
      table.properties.flatMap((p) =>
        p.type === 'Property' && p.key.type === 'Literal' ? [[String(p.key.value), p.value] as const] : [],
      ),
    );
    const wrapped = (id: string) => {
      const fn = factories.get(id);
      if (fn === undefined) throw new Error(`no module ${id}`);
      return code[fn.start - 1] === '(' && code[fn.end] === ')';
    };
    const entry = /__nccwpck_require__\((\d+)\)/.exec(code.slice(code.lastIndexOf('__nccwpck_require__(')))?.[1];
    expect(wrapped(entry as string)).toBe(true);
    const octokit = [...factories].find(([, fn]) => code.slice(fn.start, fn.end).includes('octokitFetch:()=>'));
    expect(octokit).toBeDefined();
    expect(wrapped(octokit?.[0] as string)).toBe(false);
  });
});
