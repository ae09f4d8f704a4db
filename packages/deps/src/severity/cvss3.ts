/**
 * CVSS v3.0 and v3.1 base scores, computed from the vector (https://www.first.org/cvss/v3.1/specification-document,
 * section 7). Free-text scores are never trusted: the vector is parsed strictly (the `CVSS:3.x/` prefix, each metric
 * once, every base metric present, known values only) and scored with the specification's formulas, including v3.1's
 * Roundup that avoids floating-point surprises. Temporal and environmental metrics are accepted and not scored: a
 * base score is what advisories publish and what the policy compares.
 */
export type Cvss3Version = '3.0' | '3.1';

export interface Cvss3Score {
  readonly version: Cvss3Version;
  readonly score: number;
  readonly vector: string;
}

const BASE: Record<string, Record<string, number>> = {
  AV: { N: 0.85, A: 0.62, L: 0.55, P: 0.2 },
  AC: { L: 0.77, H: 0.44 },
  PR: { N: 0.85, L: 0.62, H: 0.27 },
  UI: { N: 0.85, R: 0.62 },
  S: { U: 0, C: 1 },
  C: { H: 0.56, L: 0.22, N: 0 },
  I: { H: 0.56, L: 0.22, N: 0 },
  A: { H: 0.56, L: 0.22, N: 0 },
};

const OPTIONAL: Record<string, readonly string[]> = {
  E: ['X', 'H', 'F', 'P', 'U'],
  RL: ['X', 'U', 'W', 'T', 'O'],
  RC: ['X', 'C', 'R', 'U'],
  CR: ['X', 'H', 'M', 'L'],
  IR: ['X', 'H', 'M', 'L'],
  AR: ['X', 'H', 'M', 'L'],
  MAV: ['X', 'N', 'A', 'L', 'P'],
  MAC: ['X', 'L', 'H'],
  MPR: ['X', 'N', 'L', 'H'],
  MUI: ['X', 'N', 'R'],
  MS: ['X', 'U', 'C'],
  MC: ['X', 'N', 'L', 'H'],
  MI: ['X', 'N', 'L', 'H'],
  MA: ['X', 'N', 'L', 'H'],
};

/** v3.1 Roundup (Appendix A): the smallest number with one decimal that is ≥ the input, without float artefacts. */
export function roundup31(value: number): number {
  const int = Math.round(value * 100_000);
  return int % 10_000 === 0 ? int / 100_000 : (Math.floor(int / 10_000) + 1) / 10;
}

function roundup30(value: number): number {
  return Math.ceil(value * 10) / 10;
}

/** Parse and score a CVSS v3.x vector; throws an Error saying what is wrong. */
export function cvss3(vector: string): Cvss3Score {
  const text = vector.trim();
  const m = /^CVSS:(3\.[01])\/(.*)$/.exec(text);
  if (!m)
    throw new Error(
      `'${text.slice(0, 80)}' is not a CVSS v3.0/v3.1 vector (it must start with CVSS:3.0/ or CVSS:3.1/)`,
    );
  const version = m[1] as Cvss3Version;
  const metrics = new Map<string, string>();
  for (const part of (m[2] as string).split('/')) {
    const [key, value, extra] = part.split(':');
    if (key === undefined || value === undefined || extra !== undefined || key === '' || value === '') {
      throw new Error(`CVSS vector part '${part}' is not METRIC:VALUE`);
    }
    if (metrics.has(key)) throw new Error(`CVSS metric ${key} appears twice`);
    const known = BASE[key] !== undefined ? Object.keys(BASE[key]) : OPTIONAL[key];
    if (known === undefined) throw new Error(`unknown CVSS v${version} metric ${key}`);
    if (!known.includes(value)) throw new Error(`CVSS metric ${key} cannot be ${value} (expected ${known.join(', ')})`);
    metrics.set(key, value);
  }
  const missing = Object.keys(BASE).filter((k) => !metrics.has(k));
  if (missing.length > 0) throw new Error(`CVSS vector lacks base metric(s) ${missing.join(', ')}`);
  const v = (k: string) => (BASE[k] as Record<string, number>)[metrics.get(k) as string] as number;
  const changed = metrics.get('S') === 'C';
  const iss = 1 - (1 - v('C')) * (1 - v('I')) * (1 - v('A'));
  const impact = changed ? 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15 : 6.42 * iss;
  const pr = changed ? { N: 0.85, L: 0.68, H: 0.5 }[metrics.get('PR') as 'N' | 'L' | 'H'] : v('PR');
  const exploitability = 8.22 * v('AV') * v('AC') * pr * v('UI');
  const roundup = version === '3.1' ? roundup31 : roundup30;
  let score: number;
  if (impact <= 0) score = 0;
  else if (changed) score = roundup(Math.min(1.08 * (impact + exploitability), 10));
  else score = roundup(Math.min(impact + exploitability, 10));
  return { version, score, vector: text };
}
