/**
 * CVSS v4.0 scores computed from the vector, following the specification (https://www.first.org/cvss/v4-0/
 * specification-document, section 8): the vector's MacroVector (equivalence classes EQ1–EQ6) selects a score from
 * the table FIRST published with the specification, and the score is interpolated towards the next lower MacroVector
 * by the vector's severity distance from the highest-severity vectors of its own MacroVector. The tables below are
 * the specification's data (FIRST's reference calculator, BSD-2-Clause, © FIRST, Red Hat and contributors); the code
 * is Airlock's own.
 *
 * The vector is parsed strictly: `CVSS:4.0/` prefix, every base metric, known values, each metric once. Threat (E)
 * and environmental metrics take part as the specification defines (CVSS-BT, CVSS-BE, CVSS-BTE); supplemental
 * metrics are accepted and do not change the score.
 */
export interface Cvss4Score {
  readonly version: '4.0';
  readonly score: number;
  readonly vector: string;
  readonly macroVector: string;
}

const VALUES: Record<string, readonly string[]> = {
  AV: ['N', 'A', 'L', 'P'],
  AC: ['L', 'H'],
  AT: ['N', 'P'],
  PR: ['N', 'L', 'H'],
  UI: ['N', 'P', 'A'],
  VC: ['H', 'L', 'N'],
  VI: ['H', 'L', 'N'],
  VA: ['H', 'L', 'N'],
  SC: ['H', 'L', 'N'],
  SI: ['H', 'L', 'N'],
  SA: ['H', 'L', 'N'],
  E: ['X', 'A', 'P', 'U'],
  CR: ['X', 'H', 'M', 'L'],
  IR: ['X', 'H', 'M', 'L'],
  AR: ['X', 'H', 'M', 'L'],
  MAV: ['X', 'N', 'A', 'L', 'P'],
  MAC: ['X', 'L', 'H'],
  MAT: ['X', 'N', 'P'],
  MPR: ['X', 'N', 'L', 'H'],
  MUI: ['X', 'N', 'P', 'A'],
  MVC: ['X', 'H', 'L', 'N'],
  MVI: ['X', 'H', 'L', 'N'],
  MVA: ['X', 'H', 'L', 'N'],
  MSC: ['X', 'H', 'L', 'N'],
  MSI: ['X', 'S', 'H', 'L', 'N'],
  MSA: ['X', 'S', 'H', 'L', 'N'],
  S: ['X', 'N', 'P'],
  AU: ['X', 'N', 'Y'],
  R: ['X', 'A', 'U', 'I'],
  V: ['X', 'D', 'C'],
  RE: ['X', 'L', 'M', 'H'],
  U: ['X', 'Clear', 'Green', 'Amber', 'Red'],
};

const BASE_METRICS = ['AV', 'AC', 'AT', 'PR', 'UI', 'VC', 'VI', 'VA', 'SC', 'SI', 'SA'] as const;

/** Score of each MacroVector (EQ1..EQ6 digits), from the specification. */
const MACRO_SCORES: Record<string, number> = (() => {
  const table =
    '000000 10|000001 9.9|000010 9.8|000011 9.5|000020 9.5|000021 9.2|000100 10|000101 9.6|000110 9.3|000111 8.7|000120 9.1|000121 8.1|000200 9.3|000201 9|000210 8.9|000211 8|000220 8.1|000221 6.8|' +
    '001000 9.8|001001 9.5|001010 9.5|001011 9.2|001020 9|001021 8.4|001100 9.3|001101 9.2|001110 8.9|001111 8.1|001120 8.1|001121 6.5|001200 8.8|001201 8|001210 7.8|001211 7|001220 6.9|001221 4.8|' +
    '002001 9.2|002011 8.2|002021 7.2|002101 7.9|002111 6.9|002121 5|002201 6.9|002211 5.5|002221 2.7|' +
    '010000 9.9|010001 9.7|010010 9.5|010011 9.2|010020 9.2|010021 8.5|010100 9.5|010101 9.1|010110 9|010111 8.3|010120 8.4|010121 7.1|010200 9.2|010201 8.1|010210 8.2|010211 7.1|010220 7.2|010221 5.3|' +
    '011000 9.5|011001 9.3|011010 9.2|011011 8.5|011020 8.5|011021 7.3|011100 9.2|011101 8.2|011110 8|011111 7.2|011120 7|011121 5.9|011200 8.4|011201 7|011210 7.1|011211 5.2|011220 5|011221 3|' +
    '012001 8.6|012011 7.5|012021 5.2|012101 7.1|012111 5.2|012121 2.9|012201 6.3|012211 2.9|012221 1.7|' +
    '100000 9.8|100001 9.5|100010 9.4|100011 8.7|100020 9.1|100021 8.1|100100 9.4|100101 8.9|100110 8.6|100111 7.4|100120 7.7|100121 6.4|100200 8.7|100201 7.5|100210 7.4|100211 6.3|100220 6.3|100221 4.9|' +
    '101000 9.4|101001 8.9|101010 8.8|101011 7.7|101020 7.6|101021 6.7|101100 8.6|101101 7.6|101110 7.4|101111 5.8|101120 5.9|101121 5|101200 7.2|101201 5.7|101210 5.7|101211 5.2|101220 5.2|101221 2.5|' +
    '102001 8.3|102011 7|102021 5.4|102101 6.5|102111 5.8|102121 2.6|102201 5.3|102211 2.1|102221 1.3|' +
    '110000 9.5|110001 9|110010 8.8|110011 7.6|110020 7.6|110021 7|110100 9|110101 7.7|110110 7.5|110111 6.2|110120 6.1|110121 5.3|110200 7.7|110201 6.6|110210 6.8|110211 5.9|110220 5.2|110221 3|' +
    '111000 8.9|111001 7.8|111010 7.6|111011 6.7|111020 6.2|111021 5.8|111100 7.4|111101 5.9|111110 5.7|111111 5.7|111120 4.7|111121 2.3|111200 6.1|111201 5.2|111210 5.7|111211 2.9|111220 2.4|111221 1.6|' +
    '112001 7.1|112011 5.9|112021 3|112101 5.8|112111 2.6|112121 1.5|112201 2.3|112211 1.3|112221 0.6|' +
    '200000 9.3|200001 8.7|200010 8.6|200011 7.2|200020 7.5|200021 5.8|200100 8.6|200101 7.4|200110 7.4|200111 6.1|200120 5.6|200121 3.4|200200 7|200201 5.4|200210 5.2|200211 4|200220 4|200221 2.2|' +
    '201000 8.5|201001 7.5|201010 7.4|201011 5.5|201020 6.2|201021 5.1|201100 7.2|201101 5.7|201110 5.5|201111 4.1|201120 4.6|201121 1.9|201200 5.3|201201 3.6|201210 3.4|201211 1.9|201220 1.9|201221 0.8|' +
    '202001 6.4|202011 5.1|202021 2|202101 4.7|202111 2.1|202121 1.1|202201 2.4|202211 0.9|202221 0.4|' +
    '210000 8.8|210001 7.5|210010 7.3|210011 5.3|210020 6|210021 5|210100 7.3|210101 5.5|210110 5.9|210111 4|210120 4.1|210121 2|210200 5.4|210201 4.3|210210 4.5|210211 2.2|210220 2|210221 1.1|' +
    '211000 7.5|211001 5.5|211010 5.8|211011 4.5|211020 4|211021 2.1|211100 6.1|211101 5.1|211110 4.8|211111 1.8|211120 2|211121 0.9|211200 4.6|211201 1.8|211210 1.7|211211 0.7|211220 0.8|211221 0.2|' +
    '212001 5.3|212011 2.4|212021 1.4|212101 2.4|212111 1.2|212121 0.5|212201 1|212211 0.3|212221 0.1';
  return Object.fromEntries(
    table.split('|').map((row) => {
      const [key, value] = row.split(' ');
      return [key as string, Number(value)];
    }),
  );
})();

/** The highest-severity vectors of each equivalence class level (the specification's "max composed" data). */
const MAX_COMPOSED = {
  eq1: {
    0: ['AV:N/PR:N/UI:N'],
    1: ['AV:A/PR:N/UI:N', 'AV:N/PR:L/UI:N', 'AV:N/PR:N/UI:P'],
    2: ['AV:P/PR:N/UI:N', 'AV:A/PR:L/UI:P'],
  },
  eq2: { 0: ['AC:L/AT:N'], 1: ['AC:H/AT:N', 'AC:L/AT:P'] },
  eq3eq6: {
    '00': ['VC:H/VI:H/VA:H/CR:H/IR:H/AR:H'],
    '01': ['VC:H/VI:H/VA:L/CR:M/IR:M/AR:H', 'VC:H/VI:H/VA:H/CR:M/IR:M/AR:M'],
    '10': ['VC:L/VI:H/VA:H/CR:H/IR:H/AR:H', 'VC:H/VI:L/VA:H/CR:H/IR:H/AR:H'],
    '11': [
      'VC:L/VI:H/VA:L/CR:H/IR:M/AR:H',
      'VC:L/VI:H/VA:H/CR:H/IR:M/AR:M',
      'VC:H/VI:L/VA:H/CR:M/IR:H/AR:M',
      'VC:H/VI:L/VA:L/CR:M/IR:H/AR:H',
      'VC:L/VI:L/VA:H/CR:H/IR:H/AR:M',
    ],
    '21': ['VC:L/VI:L/VA:L/CR:H/IR:H/AR:H'],
  },
  eq4: { 0: ['SC:H/SI:S/SA:S'], 1: ['SC:H/SI:H/SA:H'], 2: ['SC:L/SI:L/SA:L'] },
  eq5: { 0: ['E:A'], 1: ['E:P'], 2: ['E:U'] },
} as const;

/** Depth of each MacroVector level, in 0.1 steps (the specification's "max severity" data). */
const MAX_SEVERITY = {
  eq1: [1, 4, 5],
  eq2: [1, 2],
  eq3eq6: { '00': 7, '01': 6, '10': 8, '11': 8, '21': 10 } as Record<string, number>,
  eq4: [6, 5, 4],
};

/** Severity level of each metric value: the distance from the most severe value, in 0.1 steps. */
const LEVELS: Record<string, Record<string, number>> = {
  AV: { N: 0, A: 0.1, L: 0.2, P: 0.3 },
  PR: { N: 0, L: 0.1, H: 0.2 },
  UI: { N: 0, P: 0.1, A: 0.2 },
  AC: { L: 0, H: 0.1 },
  AT: { N: 0, P: 0.1 },
  VC: { H: 0, L: 0.1, N: 0.2 },
  VI: { H: 0, L: 0.1, N: 0.2 },
  VA: { H: 0, L: 0.1, N: 0.2 },
  SC: { H: 0.1, L: 0.2, N: 0.3 },
  SI: { S: 0, H: 0.1, L: 0.2, N: 0.3 },
  SA: { S: 0, H: 0.1, L: 0.2, N: 0.3 },
  CR: { H: 0, M: 0.1, L: 0.2 },
  IR: { H: 0, M: 0.1, L: 0.2 },
  AR: { H: 0, M: 0.1, L: 0.2 },
};

type Metrics = ReadonlyMap<string, string>;

/** The effective value of a metric: modified environmental values override base values; X means the default. */
function effective(metrics: Metrics, metric: string): string {
  const selected = metrics.get(metric) ?? 'X';
  if (metric === 'E' && selected === 'X') return 'A';
  if ((metric === 'CR' || metric === 'IR' || metric === 'AR') && selected === 'X') return 'H';
  const modified = metrics.get(`M${metric}`);
  if (modified !== undefined && modified !== 'X') return modified;
  return selected;
}

function macroVector(metrics: Metrics): string {
  const m = (k: string) => effective(metrics, k);
  const eq1 =
    m('AV') === 'N' && m('PR') === 'N' && m('UI') === 'N'
      ? 0
      : (m('AV') === 'N' || m('PR') === 'N' || m('UI') === 'N') && m('AV') !== 'P'
        ? 1
        : 2;
  const eq2 = m('AC') === 'L' && m('AT') === 'N' ? 0 : 1;
  const eq3 = m('VC') === 'H' && m('VI') === 'H' ? 0 : m('VC') === 'H' || m('VI') === 'H' || m('VA') === 'H' ? 1 : 2;
  const msi = metrics.get('MSI') ?? 'X';
  const msa = metrics.get('MSA') ?? 'X';
  const eq4 = msi === 'S' || msa === 'S' ? 0 : m('SC') === 'H' || m('SI') === 'H' || m('SA') === 'H' ? 1 : 2;
  const eq5 = m('E') === 'A' ? 0 : m('E') === 'P' ? 1 : 2;
  const eq6 =
    (m('CR') === 'H' && m('VC') === 'H') || (m('IR') === 'H' && m('VI') === 'H') || (m('AR') === 'H' && m('VA') === 'H')
      ? 0
      : 1;
  return `${eq1}${eq2}${eq3}${eq4}${eq5}${eq6}`;
}

function parseParts(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of text.split('/')) {
    const i = part.indexOf(':');
    out.set(part.slice(0, i), part.slice(i + 1));
  }
  return out;
}

/** Round half up to one decimal, with the reference calculator's epsilon against float artefacts. */
function round1(value: number): number {
  return Math.round((value + 1e-6) * 10) / 10;
}

function score(metrics: Metrics, macro: string): number {
  const m = (k: string) => effective(metrics, k);
  if (['VC', 'VI', 'VA', 'SC', 'SI', 'SA'].every((k) => m(k) === 'N')) return 0;
  const value = MACRO_SCORES[macro];
  if (value === undefined) throw new Error(`CVSS v4.0 MacroVector ${macro} has no score`);
  const [eq1, eq2, eq3, eq4, eq5, eq6] = [...macro].map(Number) as [number, number, number, number, number, number];
  const at = (e1: number, e2: number, e3: number, e4: number, e5: number, e6: number) =>
    MACRO_SCORES[`${e1}${e2}${e3}${e4}${e5}${e6}`];
  const lower1 = at(eq1 + 1, eq2, eq3, eq4, eq5, eq6);
  const lower2 = at(eq1, eq2 + 1, eq3, eq4, eq5, eq6);
  let lower36: number | undefined;
  if (eq3 === 0 && eq6 === 0) {
    const left = at(eq1, eq2, eq3, eq4, eq5, eq6 + 1);
    const right = at(eq1, eq2, eq3 + 1, eq4, eq5, eq6);
    lower36 = left === undefined ? right : right === undefined ? left : Math.max(left, right);
  } else if (eq3 === 1 && eq6 === 0) {
    lower36 = at(eq1, eq2, eq3, eq4, eq5, eq6 + 1);
  } else if (eq3 === 2 && eq6 === 1) {
    lower36 = undefined; // 21 → 32 does not exist
  } else {
    lower36 = at(eq1, eq2, eq3 + 1, eq4, eq5, eq6);
  }
  const lower4 = at(eq1, eq2, eq3, eq4 + 1, eq5, eq6);
  const lower5 = at(eq1, eq2, eq3, eq4, eq5 + 1, eq6);

  // The severity distance from the first highest-severity vector of this MacroVector that is at least as severe.
  const maxes: string[] = [];
  for (const a of MAX_COMPOSED.eq1[eq1 as 0 | 1 | 2])
    for (const b of MAX_COMPOSED.eq2[eq2 as 0 | 1])
      for (const c of MAX_COMPOSED.eq3eq6[`${eq3}${eq6}` as '00'] ?? [])
        for (const d of MAX_COMPOSED.eq4[eq4 as 0 | 1 | 2]) maxes.push(`${a}/${b}/${c}/${d}`);
  const distance = (max: Map<string, string>, k: string) =>
    (LEVELS[k]?.[m(k)] ?? 0) - (LEVELS[k]?.[max.get(k) as string] ?? 0);
  const keys = ['AV', 'PR', 'UI', 'AC', 'AT', 'VC', 'VI', 'VA', 'SC', 'SI', 'SA', 'CR', 'IR', 'AR'];
  let d: Record<string, number> = {};
  for (const text of maxes) {
    const max = parseParts(text);
    d = Object.fromEntries(keys.map((k) => [k, distance(max, k)]));
    if (Object.values(d).every((x) => x >= 0)) break;
  }
  const g = (k: string) => d[k] ?? 0;
  const current1 = g('AV') + g('PR') + g('UI');
  const current2 = g('AC') + g('AT');
  const current36 = g('VC') + g('VI') + g('VA') + g('CR') + g('IR') + g('AR');
  const current4 = g('SC') + g('SI') + g('SA');
  const step = 0.1;
  const parts: number[] = [];
  const add = (lower: number | undefined, current: number, depth: number | undefined) => {
    if (lower === undefined) return;
    parts.push(depth === undefined ? 0 : (value - lower) * (current / (depth * step)));
  };
  add(lower1, current1, MAX_SEVERITY.eq1[eq1]);
  add(lower2, current2, MAX_SEVERITY.eq2[eq2]);
  add(lower36, current36, MAX_SEVERITY.eq3eq6[`${eq3}${eq6}`]);
  add(lower4, current4, MAX_SEVERITY.eq4[eq4]);
  add(lower5, 0, 1); // EQ5's proportional distance is always 0
  const mean = parts.length === 0 ? 0 : parts.reduce((a, b) => a + b, 0) / parts.length;
  return Math.min(10, Math.max(0, round1(value - mean)));
}

/** Parse and score a CVSS v4.0 vector; throws an Error saying what is wrong. */
export function cvss4(vector: string): Cvss4Score {
  const text = vector.trim();
  if (!text.startsWith('CVSS:4.0/')) {
    throw new Error(`'${text.slice(0, 80)}' is not a CVSS v4.0 vector (it must start with CVSS:4.0/)`);
  }
  const metrics = new Map<string, string>();
  for (const part of text.slice('CVSS:4.0/'.length).split('/')) {
    const [key, value, extra] = part.split(':');
    if (key === undefined || value === undefined || extra !== undefined || key === '' || value === '') {
      throw new Error(`CVSS vector part '${part}' is not METRIC:VALUE`);
    }
    if (metrics.has(key)) throw new Error(`CVSS metric ${key} appears twice`);
    const known = VALUES[key];
    if (known === undefined) throw new Error(`unknown CVSS v4.0 metric ${key}`);
    if (!known.includes(value)) throw new Error(`CVSS metric ${key} cannot be ${value} (expected ${known.join(', ')})`);
    metrics.set(key, value);
  }
  const missing = BASE_METRICS.filter((k) => !metrics.has(k));
  if (missing.length > 0) throw new Error(`CVSS vector lacks base metric(s) ${missing.join(', ')}`);
  const macro = macroVector(metrics);
  return { version: '4.0', score: score(metrics, macro), vector: text, macroVector: macro };
}
