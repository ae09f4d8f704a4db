import type { JsonValue, TrailRecord } from '@airlock/core';

/**
 * A readable timeline of a trail: who ran each step (identity), what it did (its result facts), which artifacts it
 * touched (names and digests), and how it ended. Three renderings: a text table, JSON, and a self-contained HTML page
 * (no scripts, no external resources).
 */
export interface TimelineEntry {
  readonly seq: number;
  readonly time: string;
  readonly action: string;
  readonly phase: 'main' | 'post';
  readonly step: string | null;
  readonly outcome: 'success' | 'failure';
  readonly who: string;
  /** `key: value` facts from the action's result, flattened. */
  readonly facts: readonly string[];
  readonly subjects: ReadonlyArray<{ readonly name: string; readonly sha256: string | undefined }>;
  readonly error: string | null;
  readonly hash: string;
}

const MAX_FACT = 160;

/** Flatten a result object into `a.b: value` lines (arrays of scalars joined; long values shortened). */
export function flattenFacts(value: JsonValue, prefix = ''): string[] {
  if (value === null || typeof value !== 'object') {
    const text = String(value);
    return [`${prefix}: ${text.length > MAX_FACT ? `${text.slice(0, MAX_FACT)}…` : text}`];
  }
  if (Array.isArray(value)) {
    if (value.every((v) => v === null || typeof v !== 'object')) {
      const text = value.map(String).join(', ');
      return [`${prefix}: ${text.length > MAX_FACT ? `${text.slice(0, MAX_FACT)}… (${value.length} items)` : text}`];
    }
    return value.flatMap((v, i) => flattenFacts(v, `${prefix}[${i}]`));
  }
  return Object.entries(value).flatMap(([k, v]) => flattenFacts(v, prefix === '' ? k : `${prefix}.${k}`));
}

export function timeline(records: readonly TrailRecord[], hashes: readonly string[]): TimelineEntry[] {
  return records.map((r, i) => {
    const who = [
      r.github.actor ? `actor ${r.github.actor}` : undefined,
      r.github.job_workflow_ref
        ? `workflow ${r.github.job_workflow_ref}`
        : r.github.workflow_ref
          ? `workflow ${r.github.workflow_ref}`
          : undefined,
      r.action.repository
        ? `action ${r.action.repository}@${r.action.ref ?? '?'}`
        : `action ${r.action.name}@${r.action.version}`,
    ].filter((x): x is string => x !== undefined);
    return {
      seq: r.seq,
      time: r.time,
      action: r.action.name,
      phase: r.action.phase,
      step: r.step,
      outcome: r.outcome,
      who: who.join('; '),
      facts: flattenFacts(r.result),
      subjects: r.subjects.map((s) => ({ name: s.name, sha256: s.digest.sha256 })),
      error: r.error === null ? null : `${r.error.code}: ${r.error.message}`,
      hash: hashes[i] ?? '',
    };
  });
}

export function renderTable(entries: readonly TimelineEntry[]): string {
  const lines: string[] = [];
  for (const e of entries) {
    lines.push(
      `#${e.seq}  ${e.time}  ${e.action}${e.phase === 'post' ? ' (post)' : ''}${e.step ? `  step ${e.step}` : ''}  ${e.outcome === 'success' ? 'ok' : 'FAILED'}`,
    );
    lines.push(`    who: ${e.who}`);
    if (e.error) lines.push(`    error: ${e.error}`);
    for (const fact of e.facts) lines.push(`    ${fact}`);
    for (const s of e.subjects) lines.push(`    artifact ${s.name} sha256:${s.sha256 ?? '?'}`);
    lines.push(`    record sha256 ${e.hash}`);
  }
  return lines.join('\n');
}

/** Escape text for HTML element content and attribute values. */
export const escapeHtml = (text: string): string =>
  text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');

/** A self-contained HTML page; every value escaped; a strict CSP forbids scripts and remote loads. */
export function renderHtml(
  entries: readonly TimelineEntry[],
  title: string,
  verdict?: { ok: boolean; text: string },
): string {
  const rows = entries
    .map((e) => {
      const facts = e.facts.map((f) => `<li>${escapeHtml(f)}</li>`).join('');
      const subjects = e.subjects
        .map(
          (s) =>
            `<li><code>${escapeHtml(s.name)}</code> <span class="digest">sha256:${escapeHtml(s.sha256 ?? '?')}</span></li>`,
        )
        .join('');
      return `<tr class="${e.outcome}">
<td class="seq">${e.seq}</td>
<td><time datetime="${escapeHtml(e.time)}">${escapeHtml(e.time.replace('T', ' ').replace('Z', ' UTC'))}</time></td>
<td><strong>${escapeHtml(e.action)}</strong>${e.phase === 'post' ? ' <em>post</em>' : ''}${e.step ? `<br><small>step ${escapeHtml(e.step)}</small>` : ''}</td>
<td class="outcome">${e.outcome === 'success' ? 'ok' : 'failed'}</td>
<td>${escapeHtml(e.who)}</td>
<td>${e.error ? `<p class="error">${escapeHtml(e.error)}</p>` : ''}${facts ? `<ul>${facts}</ul>` : ''}${subjects ? `<ul class="subjects">${subjects}</ul>` : ''}</td>
<td class="digest">${escapeHtml(e.hash.slice(0, 16))}…</td>
</tr>`;
    })
    .join('\n');
  const banner = verdict ? `<p class="verdict ${verdict.ok ? 'ok' : 'bad'}">${escapeHtml(verdict.text)}</p>` : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${escapeHtml(title)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2rem;color:#1b1f24}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #d0d7de;padding:.4rem .6rem;vertical-align:top;text-align:left}
tr.failure td.outcome{color:#cf222e;font-weight:bold}tr.success td.outcome{color:#1a7f37}
.digest,code{font-family:ui-monospace,monospace;font-size:12px}.error{color:#cf222e;margin:0}
ul{margin:0;padding-left:1.1rem}.verdict{padding:.5rem .8rem;border-radius:6px}.verdict.ok{background:#dafbe1}.verdict.bad{background:#ffebe9}
</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
${banner}
<table>
<thead><tr><th>#</th><th>time</th><th>step</th><th>outcome</th><th>who</th><th>what</th><th>record</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
</body>
</html>
`;
}
