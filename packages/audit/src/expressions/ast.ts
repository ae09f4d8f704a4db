/**
 * The syntax tree of a GitHub Actions expression (`${{ … }}`). Offsets are relative to the start of the expression
 * text handed to the parser.
 */
export type Literal = null | boolean | number | string;

export type Expr =
  | { readonly kind: 'literal'; readonly value: Literal; readonly start: number; readonly end: number }
  /** A named context (`github`, `secrets`, …) or, outside function position, any bare identifier. */
  | { readonly kind: 'context'; readonly name: string; readonly start: number; readonly end: number }
  /** `object.name` or `object['name']`. */
  | {
      readonly kind: 'property';
      readonly object: Expr;
      readonly name: string;
      readonly start: number;
      readonly end: number;
    }
  /** `object[index]` with a computed index. */
  | {
      readonly kind: 'index';
      readonly object: Expr;
      readonly index: Expr;
      readonly start: number;
      readonly end: number;
    }
  /** `object.*` or `object[*]`: the object filter. */
  | { readonly kind: 'star'; readonly object: Expr; readonly start: number; readonly end: number }
  | {
      readonly kind: 'call';
      readonly name: string;
      readonly args: readonly Expr[];
      readonly start: number;
      readonly end: number;
    }
  | { readonly kind: 'not'; readonly operand: Expr; readonly start: number; readonly end: number }
  | {
      readonly kind: 'binary';
      readonly op: BinaryOp;
      readonly left: Expr;
      readonly right: Expr;
      readonly start: number;
      readonly end: number;
    };

export type BinaryOp = '||' | '&&' | '==' | '!=' | '<' | '<=' | '>' | '>=';

/** One segment of a context path: a property name, `*` for the object filter, or null for a computed index. */
export type PathSegment = string | null;

/** The contexts GitHub defines. */
export const CONTEXTS = [
  'github',
  'env',
  'vars',
  'job',
  'jobs',
  'steps',
  'runner',
  'secrets',
  'strategy',
  'matrix',
  'needs',
  'inputs',
] as const;

/** Functions GitHub defines, with their arity. */
export const FUNCTIONS: Readonly<Record<string, readonly [min: number, max: number]>> = {
  contains: [2, 2],
  startswith: [2, 2],
  endswith: [2, 2],
  format: [1, Number.POSITIVE_INFINITY],
  join: [1, 2],
  tojson: [1, 1],
  fromjson: [1, 1],
  hashfiles: [1, Number.POSITIVE_INFINITY],
  success: [0, 0],
  always: [0, 0],
  cancelled: [0, 0],
  failure: [0, 0],
  case: [3, Number.POSITIVE_INFINITY],
};

export const STATUS_FUNCTIONS = new Set(['success', 'always', 'cancelled', 'failure']);
