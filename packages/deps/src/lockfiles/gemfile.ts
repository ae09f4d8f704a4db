/**
 * RubyGems: Gemfile.lock and gems.locked (Bundler). Gems from the GEM and GIT sections; PATH gems are the project's
 * own code. Bundler writes `name (version-platform)`; the platform is not part of the version. DEPENDENCIES says
 * which gems are direct; Bundler does not write groups into the lockfile, so every gem is runtime.
 */
import { quote } from '@airlock/core';
import { type LockfileResult, lockfileError } from '../model.ts';
import { Collector, type LockfileFormat, splitLines } from './common.ts';

const SPEC = /^ {4}([^\s(]+) \(([^-)\s]+)(?:-([^)]+))?\)$/;
const DEPENDENCY = /^ {2}([^\s(!]+)(?: \(([^)]*)\))?!?$/;
const SOURCES = new Set(['GEM', 'GIT', 'PATH', 'PLUGIN SOURCE']);

function parseGemfileLock(path: string, text: string, kind: string): LockfileResult {
  const lines = splitLines(text);
  const out = new Collector(path, 'RubyGems');
  const gems: { name: string; version: string; line: number }[] = [];
  const direct = new Set<string>();
  let section: string | undefined;
  let inSpecs = false;
  let sawSection = false;
  lines.forEach((line, i) => {
    const n = i + 1;
    if (line.trim() === '') return;
    if (!line.startsWith(' ')) {
      section = line.trim();
      inSpecs = false;
      sawSection = true;
      return;
    }
    if (section === undefined)
      throw lockfileError(path, n, `expected a section name (GEM, DEPENDENCIES, …) before ${quote(line)}`);
    if (SOURCES.has(section)) {
      if (line === '  specs:') {
        inSpecs = true;
        return;
      }
      if (/^ {2}\S/.test(line)) {
        inSpecs = false;
        return;
      }
      if (!inSpecs) return;
      if (/^ {6}\S/.test(line)) return; // a dependency of the gem above
      const m = SPEC.exec(line);
      if (!m)
        throw lockfileError(
          path,
          n,
          `expected '    name (version)' in the ${section} specs, found ${quote(line.trim())}`,
        );
      if (section === 'PATH' || section === 'PLUGIN SOURCE') return;
      gems.push({ name: m[1] as string, version: m[2] as string, line: n });
    } else if (section === 'DEPENDENCIES') {
      const m = DEPENDENCY.exec(line);
      if (!m)
        throw lockfileError(path, n, `expected '  name (requirement)' in DEPENDENCIES, found ${quote(line.trim())}`);
      direct.add(m[1] as string);
    }
  });
  if (!sawSection && text.trim() !== '')
    throw lockfileError(path, 1, 'expected Bundler sections (GEM, DEPENDENCIES, …)');
  for (const g of gems) out.add(g.name, g.version, g.line, { direct: direct.has(g.name) });
  return out.result(kind);
}

export const gemfileLock: LockfileFormat = {
  name: 'Gemfile.lock',
  ecosystem: 'RubyGems',
  parse: (path, text) => parseGemfileLock(path, text, 'Gemfile.lock'),
};
export const gemsLocked: LockfileFormat = {
  name: 'gems.locked',
  ecosystem: 'RubyGems',
  parse: (path, text) => parseGemfileLock(path, text, 'gems.locked'),
};
