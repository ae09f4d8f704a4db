/**
 * The severity of a finding: computed from a CVSS v4.0 or v3.x vector when the advisory has one (v4 preferred), else
 * the GitHub advisory database's rating in `database_specific.severity`, else explicitly "unscored" — which the policy
 * decides how to treat; it is never silently "low".
 */
import type { Advisory } from '../osv/schema.ts';
import { cvss3 } from './cvss3.ts';
import { cvss4 } from './cvss4.ts';

export { cvss3, roundup31 } from './cvss3.ts';
export { cvss4 } from './cvss4.ts';

export const SEVERITY_LEVELS = ['critical', 'high', 'medium', 'low', 'none', 'unscored'] as const;
export type SeverityLevel = (typeof SEVERITY_LEVELS)[number];

export interface Severity {
  readonly level: SeverityLevel;
  /** The CVSS score, when computed from a vector. */
  readonly score?: number;
  readonly vector?: string;
  /** Where the level came from. */
  readonly source: 'CVSS_V4' | 'CVSS_V3' | 'database_specific' | 'none';
  /** The advisory that gave the level. */
  readonly advisory?: string;
}

/** CVSS qualitative rating (v3.1 and v4.0 use the same bands). */
export function levelOfScore(score: number): SeverityLevel {
  if (score === 0) return 'none';
  if (score < 4) return 'low';
  if (score < 7) return 'medium';
  if (score < 9) return 'high';
  return 'critical';
}

/** Rank for comparisons: higher is more severe; unscored ranks by the policy, so here it is below none. */
export const LEVEL_RANK: Record<SeverityLevel, number> = {
  critical: 5,
  high: 4,
  medium: 3,
  low: 2,
  none: 1,
  unscored: 0,
};

const GHSA_LEVELS: Record<string, SeverityLevel> = {
  CRITICAL: 'critical',
  HIGH: 'high',
  MODERATE: 'medium',
  MEDIUM: 'medium',
  LOW: 'low',
};

/** The severity of one advisory (for one package, whose `affected[].severity` counts too). */
export function advisorySeverity(advisory: Advisory, packageName?: string, problems?: string[]): Severity {
  const vectors = [
    ...advisory.severity,
    ...advisory.affected
      .filter((a) => packageName === undefined || a.package?.name === packageName)
      .flatMap((a) => a.severity),
  ];
  for (const type of ['CVSS_V4', 'CVSS_V3'] as const) {
    let best: Severity | undefined;
    for (const s of vectors.filter((v) => v.type === type)) {
      try {
        const scored = type === 'CVSS_V4' ? cvss4(s.score) : cvss3(s.score);
        if (best === undefined || (best.score ?? 0) < scored.score) {
          best = {
            level: levelOfScore(scored.score),
            score: scored.score,
            vector: scored.vector,
            source: type,
            advisory: advisory.id,
          };
        }
      } catch (error) {
        problems?.push(`${advisory.id}: ignoring ${type} '${s.score.slice(0, 100)}': ${(error as Error).message}`);
      }
    }
    if (best !== undefined) return best;
  }
  const rating = advisory.database_specific?.severity;
  if (typeof rating === 'string' && GHSA_LEVELS[rating.toUpperCase()] !== undefined) {
    return {
      level: GHSA_LEVELS[rating.toUpperCase()] as SeverityLevel,
      source: 'database_specific',
      advisory: advisory.id,
    };
  }
  return { level: 'unscored', source: 'none' };
}

/** The severity of a vulnerability reported by several advisories: the most severe scored one. */
export function groupSeverity(advisories: readonly Advisory[], packageName?: string, problems?: string[]): Severity {
  let best: Severity = { level: 'unscored', source: 'none' };
  for (const advisory of advisories) {
    const s = advisorySeverity(advisory, packageName, problems);
    if (
      LEVEL_RANK[s.level] > LEVEL_RANK[best.level] ||
      (s.level === best.level && (s.score ?? -1) > (best.score ?? -1))
    ) {
      best = s;
    }
  }
  return best;
}
