/** Reads the action catalogue: every actions/<name>/action.yml, parsed. Shared by build, docs and tests. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export interface ActionInput {
  readonly name: string;
  readonly description: string;
  readonly required: boolean;
  readonly default: string | undefined;
  readonly deprecationMessage: string | undefined;
}

export interface ActionOutput {
  readonly name: string;
  readonly description: string;
}

export interface ActionMetadata {
  /** Directory name: `exchange`. */
  readonly id: string;
  /** Absolute directory of the action. */
  readonly dir: string;
  readonly name: string;
  readonly description: string;
  readonly using: string;
  readonly main: string | undefined;
  readonly post: string | undefined;
  readonly postIf: string | undefined;
  readonly inputs: readonly ActionInput[];
  readonly outputs: readonly ActionOutput[];
  readonly branding: { readonly icon?: string; readonly color?: string } | undefined;
  readonly raw: Record<string, unknown>;
}

export function readAction(dir: string): ActionMetadata {
  const file = join(dir, 'action.yml');
  const raw = parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  const runs = (raw.runs ?? {}) as Record<string, unknown>;
  const inputs = Object.entries((raw.inputs ?? {}) as Record<string, Record<string, unknown> | null>).map(
    ([name, spec]) => ({
      name,
      description: String(spec?.description ?? ''),
      required: spec?.required === true || spec?.required === 'true',
      default: spec?.default === undefined ? undefined : String(spec.default),
      deprecationMessage: spec?.deprecationMessage === undefined ? undefined : String(spec.deprecationMessage),
    }),
  );
  const outputs = Object.entries((raw.outputs ?? {}) as Record<string, Record<string, unknown> | null>).map(
    ([name, spec]) => ({ name, description: String(spec?.description ?? '') }),
  );
  return {
    id: basename(dir),
    dir,
    name: String(raw.name ?? ''),
    description: String(raw.description ?? ''),
    using: String(runs.using ?? ''),
    main: typeof runs.main === 'string' ? runs.main : undefined,
    post: typeof runs.post === 'string' ? runs.post : undefined,
    postIf: typeof runs['post-if'] === 'string' ? (runs['post-if'] as string) : undefined,
    inputs,
    outputs,
    branding: raw.branding as ActionMetadata['branding'],
    raw,
  };
}

/** Every action under actions/, sorted by name. */
export function listActions(root = ROOT): ActionMetadata[] {
  const base = join(root, 'actions');
  if (!existsSync(base)) return [];
  return readdirSync(base, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(base, d.name, 'action.yml')))
    .map((d) => readAction(join(base, d.name)))
    .sort((a, b) => a.id.localeCompare(b.id));
}
