import type { Ecosystem } from '../model.ts';

/**
 * Package names as OSV compares them, per ecosystem: PEP 503 for PyPI (case-insensitive, runs of `-_.` equal), case-
 * insensitive for NuGet and Packagist (their registries are), exact everywhere else (npm, Go module paths, Maven
 * `group:artifact`, crates, gems, …).
 */
export function normalizeName(ecosystem: Ecosystem | string, name: string): string {
  switch (ecosystem) {
    case 'PyPI':
      return name
        .trim()
        .toLowerCase()
        .replace(/[-_.]+/g, '-');
    case 'NuGet':
    case 'Packagist':
      return name.trim().toLowerCase();
    default:
      return name.trim();
  }
}

/** A key for one package name within one ecosystem. */
export function packageKey(ecosystem: Ecosystem | string, name: string): string {
  return `${ecosystem}\u0000${normalizeName(ecosystem, name)}`;
}
