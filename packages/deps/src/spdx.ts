/**
 * SPDX license expressions (SPDX specification v2.3, Annex D): license ids (`MIT`, `Apache-2.0`), `+`,
 * `LicenseRef-…`/`DocumentRef-…:LicenseRef-…`, `WITH <exception>`, `AND`, `OR` (AND binds tighter) and parentheses.
 * Operators are case-insensitive as the specification allows for AND/OR/WITH; ids are compared case-insensitively.
 *
 * Used by the license policy: an expression satisfies an allow list when one of its OR-choices uses only allowed
 * licenses, and violates a deny list when every choice uses a denied one.
 */
export type SpdxNode =
  | { readonly type: 'license'; readonly id: string; readonly plus: boolean; readonly exception?: string }
  | { readonly type: 'and' | 'or'; readonly left: SpdxNode; readonly right: SpdxNode };

export class SpdxError extends Error {}

const ID = /^(?:DocumentRef-[A-Za-z0-9.-]+:)?[A-Za-z0-9][A-Za-z0-9.-]*\+?$/;

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  for (const raw of text.replace(/[()]/g, ' $& ').split(/\s+/)) if (raw !== '') tokens.push(raw);
  return tokens;
}

/** Parse an SPDX license expression; throws SpdxError saying what is wrong. */
export function parseSpdx(text: string): SpdxNode {
  if (text.length > 2000) throw new SpdxError('license expression is too long');
  const tokens = tokenize(text);
  let pos = 0;
  const peek = () => tokens[pos];
  const upper = () => peek()?.toUpperCase();
  const fail = (what: string): never => {
    throw new SpdxError(`${what} in license expression '${text.slice(0, 120)}'`);
  };
  let depth = 0;
  const simple = (): SpdxNode => {
    const token = peek();
    if (token === '(') {
      pos++;
      if (++depth > 50) fail('too many nested parentheses');
      const inner = or();
      if (peek() !== ')') fail("missing ')'");
      pos++;
      depth--;
      return inner;
    }
    if (token === undefined) return fail('unexpected end');
    if (token === ')' || ['AND', 'OR', 'WITH'].includes(token.toUpperCase()) || !ID.test(token)) {
      return fail(`unexpected '${token}'`);
    }
    pos++;
    const plus = token.endsWith('+');
    const id = plus ? token.slice(0, -1) : token;
    if (upper() === 'WITH') {
      pos++;
      const exception = peek();
      if (exception === undefined || !/^[A-Za-z0-9][A-Za-z0-9.-]*$/.test(exception))
        fail("expected an exception after 'WITH'");
      pos++;
      return { type: 'license', id, plus, exception: exception as string };
    }
    return { type: 'license', id, plus };
  };
  const and = (): SpdxNode => {
    let left = simple();
    while (upper() === 'AND') {
      pos++;
      left = { type: 'and', left, right: simple() };
    }
    return left;
  };
  const or = (): SpdxNode => {
    let left = and();
    while (upper() === 'OR') {
      pos++;
      left = { type: 'or', left, right: and() };
    }
    return left;
  };
  const tree = or();
  if (pos !== tokens.length) fail(`unexpected '${tokens[pos]}'`);
  return tree;
}

/** The ways to satisfy an expression: each choice is the set of licenses it needs (ids as written, with WITH). */
export function choices(node: SpdxNode, limit = 256): string[][] {
  if (node.type === 'license') {
    return [[`${node.id}${node.plus ? '+' : ''}${node.exception ? ` WITH ${node.exception}` : ''}`]];
  }
  const left = choices(node.left, limit);
  const right = choices(node.right, limit);
  if (node.type === 'or') return [...left, ...right].slice(0, limit);
  const out: string[][] = [];
  for (const a of left) for (const b of right) if (out.length < limit) out.push([...a, ...b]);
  return out;
}

const key = (license: string) => license.toLowerCase();

/** Whether a license (as in a choice) is named by a list entry: exact id, or the id without `+`/`WITH …`. */
function listed(license: string, list: ReadonlySet<string>): boolean {
  const k = key(license);
  if (list.has(k)) return true;
  const bare = k.replace(/ with .*$/, '').replace(/\+$/, '');
  return list.has(bare);
}

export interface LicenseVerdict {
  readonly ok: boolean;
  readonly reason?: string;
}

/** Check an expression against allow and deny lists (either may be empty, meaning no constraint). */
export function checkLicense(expression: string, allow: readonly string[], deny: readonly string[]): LicenseVerdict {
  const tree = parseSpdx(expression);
  const options = choices(tree);
  const allowSet = new Set(allow.map(key));
  const denySet = new Set(deny.map(key));
  const acceptable = options.filter(
    (choice) =>
      choice.every((l) => !listed(l, denySet)) && (allowSet.size === 0 || choice.every((l) => listed(l, allowSet))),
  );
  if (acceptable.length > 0) return { ok: true };
  if (denySet.size > 0 && options.every((choice) => choice.some((l) => listed(l, denySet)))) {
    return { ok: false, reason: `'${expression}' requires a denied license` };
  }
  return { ok: false, reason: `'${expression}' is not satisfied by the allowed licenses` };
}
