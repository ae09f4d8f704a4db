/**
 * The rules every action directory must follow, checked by test/unit/repo/actions.test.ts:
 * - action.yml has a name, a description, branding, a description for every input and output, `runs.using: node24`
 *   and a `main` (and `post` when used) that exist;
 * - the inputs the code reads are exactly the inputs declared: index.ts/post.ts call `input.<kind>('<name>'…)` with
 *   literal names, nothing else reads inputs, and no declared input goes unread;
 * - only index.ts/post.ts touch process.env or the runner; @actions/core is never imported.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { type ActionMetadata, ROOT, readAction } from './actions.ts';

const INPUT_CALL = /\binput\.(string|boolean|list|keyValues|integer|duration|choice|url)\(\s*(['"`])([^'"`]*)\2/g;
const ANY_INPUT_CALL = /\binput\.(string|boolean|list|keyValues|integer|duration|choice|url)\(\s*([^\s)])/g;

function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

export interface ActionCheck {
  readonly action: ActionMetadata;
  readonly problems: string[];
  readonly inputsRead: string[];
}

export function checkAction(dir: string): ActionCheck {
  const action = readAction(dir);
  const problems: string[] = [];
  const where = relative(ROOT, join(dir, 'action.yml'));
  if (!action.name) problems.push(`${where}: missing name`);
  if (!action.description) problems.push(`${where}: missing description`);
  if (!action.branding?.icon || !action.branding.color) problems.push(`${where}: missing branding icon and color`);
  for (const input of action.inputs) {
    if (!input.description) problems.push(`${where}: input '${input.name}' has no description`);
  }
  for (const output of action.outputs) {
    if (!output.description) problems.push(`${where}: output '${output.name}' has no description`);
  }
  if (action.using === 'composite') return { action, problems, inputsRead: [] };
  if (action.using !== 'node24') problems.push(`${where}: runs.using must be node24, not '${action.using}'`);
  for (const [key, file] of [
    ['main', action.main],
    ['post', action.post],
  ] as const) {
    if (key === 'main' && file === undefined) problems.push(`${where}: runs.main is missing`);
    if (file !== undefined && !existsSync(resolve(dir, file))) {
      problems.push(`${where}: runs.${key} points at ${file}, which does not exist (run npm run build)`);
    }
  }

  const entries = ['src/index.ts', ...(action.post === undefined ? [] : ['src/post.ts'])].map((f) => join(dir, f));
  const inputsRead = new Set<string>();
  for (const entry of entries) {
    if (!existsSync(entry)) {
      problems.push(`${relative(ROOT, entry)} is missing`);
      continue;
    }
    const text = readFileSync(entry, 'utf8');
    for (const m of text.matchAll(INPUT_CALL)) inputsRead.add(m[3] as string);
    for (const m of text.matchAll(ANY_INPUT_CALL)) {
      if (!/['"`]/.test(m[2] as string))
        problems.push(`${relative(ROOT, entry)}: input.${m[1]}() must take a literal input name`);
    }
  }
  for (const file of sourceFiles(join(dir, 'src'))) {
    const text = readFileSync(file, 'utf8');
    const rel = relative(ROOT, file);
    if (/['"]@actions\/core['"]/.test(text)) problems.push(`${rel}: imports @actions/core; use @airlock/core/action`);
    if (entries.includes(file)) continue;
    if (/\bprocess\.env\b/.test(text))
      problems.push(`${rel}: reads process.env; only index.ts maps the environment (use io.env)`);
    if (INPUT_CALL.test(text)) problems.push(`${rel}: reads inputs; only index.ts (and post.ts) read inputs`);
    INPUT_CALL.lastIndex = 0;
  }
  const declared = new Set(action.inputs.map((i) => i.name));
  for (const name of inputsRead) {
    if (!declared.has(name))
      problems.push(`${where}: the code reads input '${name}', which action.yml does not declare`);
  }
  for (const name of declared) {
    if (!inputsRead.has(name)) problems.push(`${where}: input '${name}' is declared but the code never reads it`);
  }
  return { action, problems, inputsRead: [...inputsRead].sort() };
}
