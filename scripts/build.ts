/**
 * Bundles every action (and the CLI) into dist/ with ncc, reproducibly.
 *
 *   node scripts/build.ts [--out DIR] [--fixtures] [NAME ...]
 *
 * Two stages, because ncc's built-in TypeScript loader cannot drive TypeScript 7 (which has no JavaScript compiler
 * API): tsc compiles the sources to ES modules in a staging directory under .build/, where each workspace package
 * gets a package.json pointing at its compiled entry points; then ncc bundles each entry point from there.
 * NAME limits the build to some actions (`exchange`) or `cli`; without it everything is built and stale bundles are
 * removed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { listActions, ROOT } from './lib/actions.ts';
import { eagerStartup } from './lib/eager.ts';

const require = createRequire(import.meta.url);

export interface Bundle {
  /** `exchange/index.js` relative to the output directory. */
  readonly output: string;
  /** Source entry point relative to the repository root. */
  readonly entry: string;
}

export interface Target {
  /** `exchange`, `cli` or a fixture id. */
  readonly id: string;
  readonly bundles: readonly Bundle[];
}

export function productTargets(): Target[] {
  const targets: Target[] = listActions().flatMap((action) => {
    if (action.using !== 'node24') return [];
    const bundles: Bundle[] = [{ output: `${action.id}/index.js`, entry: `actions/${action.id}/src/index.ts` }];
    if (action.post !== undefined)
      bundles.push({ output: `${action.id}/post.js`, entry: `actions/${action.id}/src/post.ts` });
    return [{ id: action.id, bundles }];
  });
  if (existsSync(join(ROOT, 'packages/cli/src/bin.ts'))) {
    targets.push({ id: 'cli', bundles: [{ output: 'cli/index.js', entry: 'packages/cli/src/bin.ts' }] });
  }
  return targets;
}

export function fixtureTargets(): Target[] {
  const base = join(ROOT, 'test/fixtures/actions');
  if (!existsSync(base)) return [];
  return readdirSync(base)
    .filter((id) => existsSync(join(base, id, 'src/index.ts')))
    .map((id) => {
      const bundles: Bundle[] = [{ output: `${id}/index.js`, entry: `test/fixtures/actions/${id}/src/index.ts` }];
      if (existsSync(join(base, id, 'src/post.ts'))) {
        bundles.push({ output: `${id}/post.js`, entry: `test/fixtures/actions/${id}/src/post.ts` });
      }
      return { id, bundles };
    });
}

/**
 * Compile the entry points, and only what they import, into a fresh staging directory, and make workspace imports
 * resolve to the compiled code. Compiling from the entries (not the whole tree) keeps one action's build independent
 * of unfinished work elsewhere in the repository; `npm run typecheck` checks everything.
 */
function stage(stagingDir: string, entries: readonly string[]): void {
  rmSync(stagingDir, { recursive: true, force: true });
  mkdirSync(stagingDir, { recursive: true });
  const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
  const config = join(ROOT, '.build', 'tsconfig.stage.json');
  // Workspace packages resolve through `paths`, not node_modules: tsc never emits files it reached via node_modules.
  const paths: Record<string, string[]> = {};
  for (const pkg of readdirSync(join(ROOT, 'packages'))) {
    const manifestPath = join(ROOT, 'packages', pkg, 'package.json');
    if (!existsSync(manifestPath)) continue;
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
      name: string;
      exports?: Record<string, string>;
    };
    for (const [key, target] of Object.entries(manifest.exports ?? {})) {
      if (key.includes('*')) continue;
      paths[key === '.' ? manifest.name : `${manifest.name}/${key.slice(2)}`] = [join('..', 'packages', pkg, target)];
    }
  }
  writeFileSync(
    config,
    JSON.stringify({
      extends: '../tsconfig.build.json',
      compilerOptions: { rootDir: '..', outDir: relative(join(ROOT, '.build'), stagingDir), paths },
      files: entries.map((entry) => join('..', entry)),
      include: [],
    }),
  );
  try {
    execFileSync(process.execPath, [tsc, '-p', config], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  } catch {
    throw new Error('build: TypeScript compilation failed (see above)');
  }
  for (const pkg of readdirSync(join(ROOT, 'packages'))) {
    const manifestPath = join(ROOT, 'packages', pkg, 'package.json');
    if (!existsSync(manifestPath)) continue;
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
      name: string;
      exports?: Record<string, string>;
    };
    const exportsJs = Object.fromEntries(
      Object.entries(manifest.exports ?? {}).map(([key, value]) => [key, value.replace(/\.ts$/, '.js')]),
    );
    const stagedPkg = join(stagingDir, 'packages', pkg);
    mkdirSync(stagedPkg, { recursive: true });
    writeFileSync(
      join(stagedPkg, 'package.json'),
      JSON.stringify({ name: manifest.name, type: 'module', exports: exportsJs }),
    );
    const link = join(stagingDir, 'node_modules', manifest.name);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(relative(dirname(link), stagedPkg), link, 'dir');
  }
}

interface NccResult {
  code: string;
  assets: Record<string, { source: string | Buffer }>;
}

async function bundle(stagingDir: string, entry: string): Promise<NccResult> {
  const ncc = require('@vercel/ncc') as (input: string, options: Record<string, unknown>) => Promise<NccResult>;
  const input = join(stagingDir, entry.replace(/\.ts$/, '.js'));
  return ncc(input, {
    cache: false,
    minify: true,
    sourceMap: false,
    license: 'licenses.txt',
    quiet: true,
    target: 'es2023',
    // Everything is bundled, Node built-ins excepted.
    externals: [],
  });
}

/**
 * ncc minifies the bundle but leaves its chunks as webpack wrote them; they get the same terser pass ncc gives the
 * bundle (ES module, no compression, names kept), so a chunk loads as fast as the code it came from would have.
 */
async function minifyChunk(code: string, name: string): Promise<string> {
  const { minify } = require('terser') as typeof import('terser');
  const result = await minify(code, {
    module: true,
    compress: false,
    mangle: { keep_classnames: true, keep_fnames: true },
  });
  if (result.code === undefined) throw new Error(`build: terser returned nothing for ${name}`);
  return result.code;
}

/** ncc's licence file: blocks of `name\nlicense\ntext`, separated by blank lines; merged by package name. */
function mergeLicenses(texts: readonly string[]): string {
  const seen = new Set<string>();
  const blocks: string[] = [];
  for (const text of texts) {
    for (const block of text.split(/\n\n(?=\S+\n[^\n]+\n)/)) {
      const name = block.split('\n', 1)[0] ?? '';
      if (name === '' || seen.has(name)) continue;
      seen.add(name);
      blocks.push(block.trimEnd());
    }
  }
  return `${blocks.join('\n\n')}\n`;
}

export async function build(targets: readonly Target[], outDir: string, stagingDir: string): Promise<void> {
  stage(
    stagingDir,
    targets.flatMap((t) => t.bundles.map((b) => b.entry)),
  );
  for (const target of targets) {
    const targetDir = join(outDir, target.id);
    rmSync(targetDir, { recursive: true, force: true });
    mkdirSync(targetDir, { recursive: true });
    const licenses: string[] = [];
    for (const b of target.bundles) {
      const result = await bundle(stagingDir, b.entry);
      // Chunks (`<id>.index.js`) hold what a bundle loads with a plain dynamic import(): code most runs never call
      // (the verify action's sigstore-js path), kept out of the file V8 compiles at every start.
      const chunks = Object.keys(result.assets).filter((name) => /^\d+\.index\.js$/.test(name));
      const extraAssets = Object.keys(result.assets).filter(
        (name) => name !== 'licenses.txt' && name !== 'package.json' && !chunks.includes(name),
      );
      if (extraAssets.length > 0) {
        throw new Error(
          `build: ${b.entry} produced extra files (${extraAssets.join(', ')}); bundles must be self-contained`,
        );
      }
      // start-up module factories compiled eagerly: scripts/lib/eager.ts
      writeFileSync(join(outDir, b.output), eagerStartup(result.code, b.output).code);
      for (const name of chunks) {
        const path = join(dirname(join(outDir, b.output)), name);
        const source = await minifyChunk(String((result.assets[name] as { source: string | Buffer }).source), name);
        if (existsSync(path) && !readFileSync(path).equals(Buffer.from(source)))
          throw new Error(`build: two bundles of ${target.id} produced different chunks named ${name}`);
        writeFileSync(path, source);
      }
      const license = result.assets['licenses.txt']?.source;
      if (license !== undefined) licenses.push(license.toString());
    }
    writeFileSync(join(targetDir, 'licenses.txt'), mergeLicenses(licenses));
  }
  writeFileSync(join(outDir, 'package.json'), `${JSON.stringify({ type: 'module' }, null, 2)}\n`);
}

/**
 * The staging directory is fixed because webpack derives module ids from module paths: the same sources staged
 * elsewhere would bundle differently. Builds therefore take a lock (an atomic mkdir), so two builds started at once
 * (check-dist beside a build) wait for each other instead of sharing the staging directory.
 */
export const STAGING_DIR = join(ROOT, '.build', 'stage');
const LOCK_DIR = join(ROOT, '.build', 'build.lock');

export async function withBuildLock<T>(fn: () => Promise<T>): Promise<T> {
  mkdirSync(dirname(LOCK_DIR), { recursive: true });
  const started = Date.now();
  for (;;) {
    try {
      mkdirSync(LOCK_DIR);
      writeFileSync(join(LOCK_DIR, 'pid'), String(process.pid));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(readFileSafe(join(LOCK_DIR, 'pid')));
      if (Number.isInteger(holder) && holder > 0 && !isAlive(holder)) {
        rmSync(LOCK_DIR, { recursive: true, force: true }); // left behind by a build that was killed
        continue;
      }
      if (Date.now() - started > 10 * 60_000) throw new Error(`build: ${LOCK_DIR} is held by process ${holder}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(STAGING_DIR, { recursive: true, force: true });
    rmSync(LOCK_DIR, { recursive: true, force: true });
  }
}

function readFileSafe(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { out: { type: 'string' }, fixtures: { type: 'boolean', default: false } },
  });
  const all = values.fixtures ? fixtureTargets() : productTargets();
  const unknown = positionals.filter((name) => !all.some((t) => t.id === name));
  if (unknown.length > 0) {
    throw new Error(`build: unknown target(s) ${unknown.join(', ')}; known: ${all.map((t) => t.id).join(', ')}`);
  }
  const targets = positionals.length === 0 ? all : all.filter((t) => positionals.includes(t.id));
  const outDir = resolve(ROOT, values.out ?? (values.fixtures ? '.build/fixtures' : 'dist'));
  await withBuildLock(() => build(targets, outDir, STAGING_DIR));
  if (positionals.length === 0) {
    // A full build removes bundles of actions that no longer exist.
    const keep = new Set([...targets.map((t) => t.id), 'package.json']);
    for (const entry of existsSync(outDir) ? readdirSync(outDir) : []) {
      if (!keep.has(entry)) rmSync(join(outDir, entry), { recursive: true, force: true });
    }
  }
  const sizes = targets.flatMap((t) =>
    t.bundles.map((b) => `${b.output} ${(readFileSync(join(outDir, b.output)).byteLength / 1024).toFixed(0)} KiB`),
  );
  console.log(`built into ${relative(ROOT, outDir) || '.'}: ${sizes.join(', ')}`);
}

if (import.meta.main) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  });
}
