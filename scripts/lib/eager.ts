/**
 * Start-up compile hints for an ncc bundle: the module factories that run when the bundle starts are wrapped in
 * parentheses, so V8 compiles them eagerly.
 *
 * Why: V8 compiles lazily. While it compiles the bundle it only pre-parses each function; the first call parses the
 * function again, fully, and compiles it. ncc (webpack) puts every module in a factory function
 * (`{123:(e,t,s)=>{…}}`) that is called once at start-up, so each start-up module is parsed twice, and a factory
 * holding a whole concatenated package (100 KB and more) is pre-parsed, then parsed, on the critical path. V8 treats
 * a function literal that directly follows `(` as "likely called" (its PIFE heuristic) and compiles it in the first
 * pass. Measured on dist/audit and dist/verify, process start to exit, alternating runs: about 15 ms and 10 ms
 * faster (README, "Design decisions").
 *
 * Only factories reachable from the entry by static `require(id)` calls are wrapped: modules loaded through a dynamic
 * `import()` (Octokit, the TUF client, @noble/curves) stay lazy, since compiling them eagerly would cost time at
 * every start for code that most runs never call.
 *
 * The transformation only adds parentheses around function expressions that are object property values, which
 * does not change what the code does. The reachability analysis only decides where they go: a wrong answer costs
 * speed, never behaviour.
 */
import { parse } from 'acorn';

interface Node {
  readonly type: string;
  readonly start: number;
  readonly end: number;
  readonly [key: string]: unknown;
}

const RUNTIME_REQUIRE = '__nccwpck_require__';

function isNode(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}

/** Every node under `root`, depth first (an explicit stack: minified bundles nest deeply). */
function* walk(root: Node): Generator<Node> {
  const stack: Node[] = [root];
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    yield node;
    for (const key of Object.keys(node)) {
      const value = node[key];
      if (Array.isArray(value)) {
        for (let i = value.length - 1; i >= 0; i--) if (isNode(value[i])) stack.push(value[i]);
      } else if (isNode(value)) stack.push(value);
    }
  }
}

/** The module id of `name(123)`, or undefined when `node` is not such a call. */
function requiredId(node: Node, name: string): string | undefined {
  if (node.type !== 'CallExpression') return undefined;
  const callee = node.callee as Node;
  const args = node.arguments as Node[];
  if (callee.type !== 'Identifier' || callee.name !== name || args.length !== 1) return undefined;
  const arg = args[0] as Node;
  return arg.type === 'Literal' && typeof arg.value === 'number' ? String(arg.value) : undefined;
}

interface Factory {
  readonly id: string;
  readonly fn: Node;
}

/** The bundle's module table: the top-level `var x = {id: function…, …}` whose keys are all numeric. */
function moduleTable(program: Node): Factory[] | undefined {
  for (const statement of program.body as Node[]) {
    if (statement.type !== 'VariableDeclaration') continue;
    for (const declarator of statement.declarations as Node[]) {
      const init = declarator.init as Node | null;
      if (init?.type !== 'ObjectExpression') continue;
      const props = init.properties as Node[];
      const factories = props.flatMap((p): Factory[] => {
        const key = p.key as Node;
        const value = p.value as Node;
        const fn = value.type === 'ArrowFunctionExpression' || value.type === 'FunctionExpression';
        return p.type === 'Property' && key.type === 'Literal' && typeof key.value === 'number' && fn
          ? [{ id: String(key.value), fn: value }]
          : [];
      });
      if (factories.length > 0 && factories.length === props.length) return factories;
    }
  }
  return undefined;
}

export interface EagerResult {
  readonly code: string;
  /** Ids of the factories wrapped (run at start-up). */
  readonly eager: readonly string[];
  /** Ids of the factories left lazy (loaded by dynamic import, or not at all). */
  readonly lazy: readonly string[];
}

/** Wraps the start-up module factories of an ncc bundle in parentheses; a bundle without a module table is returned as is. */
export function eagerStartup(code: string, file = 'bundle'): EagerResult {
  let program: Node;
  try {
    program = parse(code, { ecmaVersion: 'latest', sourceType: 'module' }) as unknown as Node;
  } catch (error) {
    throw new Error(`build: ${file} does not parse: ${error instanceof Error ? error.message : String(error)}`);
  }
  const table = moduleTable(program);
  if (table === undefined) return { code, eager: [], lazy: [] };
  const byId = new Map(table.map((f) => [f.id, f]));
  const [tableStart, tableEnd] = [Math.min(...table.map((f) => f.fn.start)), Math.max(...table.map((f) => f.fn.end))];

  // Roots: `__nccwpck_require__(id)` outside the table (the entry).
  const queue: string[] = [];
  for (const node of walk(program)) {
    if (node.start >= tableStart && node.end <= tableEnd) continue;
    const id = requiredId(node, RUNTIME_REQUIRE);
    if (id !== undefined && byId.has(id)) queue.push(id);
  }
  // Static edges: a factory's third parameter is the require function; `s(id)` loads a module now, while
  // `s.bind(s, id)` and `s.t.bind(…)` (a dynamic import) load it later and are not edges.
  const reached = new Set<string>();
  for (let id = queue.pop(); id !== undefined; id = queue.pop()) {
    if (reached.has(id)) continue;
    reached.add(id);
    const fn = (byId.get(id) as Factory).fn;
    const param = (fn.params as Node[])[2];
    if (param?.type !== 'Identifier') continue;
    for (const node of walk(fn.body as Node)) {
      const dep = requiredId(node, param.name as string);
      if (dep !== undefined && byId.has(dep) && !reached.has(dep)) queue.push(dep);
    }
  }

  const eager = table.filter((f) => reached.has(f.id));
  let out = '';
  let at = 0;
  for (const f of [...eager].sort((a, b) => a.fn.start - b.fn.start)) {
    out += `${code.slice(at, f.fn.start)}(${code.slice(f.fn.start, f.fn.end)})`;
    at = f.fn.end;
  }
  out += code.slice(at);
  return {
    code: out,
    eager: eager.map((f) => f.id),
    lazy: table.filter((f) => !reached.has(f.id)).map((f) => f.id),
  };
}
