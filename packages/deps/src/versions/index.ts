/** The version order of each ecosystem, as the ecosystem itself orders versions. */
import type { Ecosystem, VersionScheme } from '../model.ts';
import { composerScheme } from './composer.ts';
import { goScheme } from './go.ts';
import { mavenScheme } from './maven.ts';
import { nugetScheme } from './nuget.ts';
import { pep440Scheme } from './pep440.ts';
import { pubScheme } from './pub.ts';
import { rubygemsScheme } from './rubygems.ts';
import { semverScheme } from './semver.ts';

const SCHEMES: Record<Ecosystem, VersionScheme> = {
  npm: semverScheme('npm'),
  'crates.io': semverScheme('crates.io'),
  Hex: semverScheme('Hex'),
  PyPI: pep440Scheme,
  Go: goScheme,
  Maven: mavenScheme,
  RubyGems: rubygemsScheme,
  Packagist: composerScheme,
  NuGet: nugetScheme,
  Pub: pubScheme,
};

/** The version scheme of an OSV ecosystem. */
export function versionScheme(ecosystem: Ecosystem): VersionScheme {
  const scheme = SCHEMES[ecosystem];
  if (scheme === undefined) throw new TypeError(`no version scheme for ecosystem ${String(ecosystem)}`);
  return scheme;
}
