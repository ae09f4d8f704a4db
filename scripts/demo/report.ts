/**
 * report.html for the demo run: every stage with its outcome and facts, the findings, what the redactor caught, what
 * was signed and verified, and the trail timeline. Self-contained: no scripts, no remote resources, every value escaped.
 */
import { escapeHtml, flattenFacts, type TimelineEntry } from '@airlock/trail';

export interface StageReport {
  readonly id: string;
  readonly title: string;
  readonly outcome: 'passed' | 'findings' | 'failed';
  readonly seconds: number;
  readonly headline: string;
  readonly facts: readonly string[];
  readonly errors: readonly string[];
}

export interface DemoReport {
  readonly project: string;
  readonly enforce: boolean;
  readonly ok: boolean;
  readonly verdict: string;
  readonly stages: readonly StageReport[];
  readonly audit: ReadonlyArray<{ rule: string; severity: string; where: string; message: string }>;
  readonly vulnerabilities: ReadonlyArray<{ id: string; pkg: string; severity: string; status: string }>;
  readonly redactions: ReadonlyArray<{ rule: string; count: number }>;
  readonly signed: ReadonlyArray<{ name: string; sha256: string }>;
  readonly verification: string;
  readonly leakCheck: string;
  readonly timeline: readonly TimelineEntry[];
}

const esc = escapeHtml;

function table(id: string, headers: readonly string[], rows: readonly (readonly string[])[], empty: string): string {
  if (rows.length === 0) return `<p class="empty" id="${id}">${esc(empty)}</p>`;
  return `<table id="${id}"><thead><tr>${headers.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

export function renderReport(report: DemoReport): string {
  const stages = report.stages
    .map(
      (
        s,
      ) => `<section class="stage ${s.outcome}" id="stage-${esc(s.id)}" data-stage="${esc(s.id)}" data-outcome="${s.outcome}">
<h3><span class="badge">${s.outcome === 'passed' ? 'passed' : s.outcome === 'findings' ? 'findings' : 'failed'}</span> ${esc(s.title)} <small>${s.seconds.toFixed(1)} s</small></h3>
<p>${esc(s.headline)}</p>
${s.errors.length > 0 ? `<ul class="errors">${s.errors.map((e) => `<li>${esc(e)}</li>`).join('')}</ul>` : ''}
${s.facts.length > 0 ? `<details><summary>facts recorded in the trail</summary><ul>${s.facts.map((f) => `<li>${esc(f)}</li>`).join('')}</ul></details>` : ''}
</section>`,
    )
    .join('\n');
  const timeline = report.timeline
    .map(
      (e) =>
        `<tr class="${e.outcome}"><td>${e.seq}</td><td>${esc(e.time)}</td><td>${esc(e.action)}${e.phase === 'post' ? ' (post)' : ''}</td><td>${esc(e.step ?? '')}</td><td>${e.outcome}</td><td>${esc(e.who)}</td><td class="mono">${esc(e.hash.slice(0, 16))}…</td></tr>`,
    )
    .join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>Airlock pipeline report: ${esc(report.project)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:70rem;color:#1b1f24;padding:0 1rem}
h1{margin-bottom:.2rem}.verdict{padding:.6rem .9rem;border-radius:6px;font-weight:600}.verdict.ok{background:#dafbe1}.verdict.bad{background:#ffebe9}
.stage{border:1px solid #d0d7de;border-radius:6px;padding:.2rem .9rem;margin:.6rem 0}.stage h3{margin:.5rem 0}
.badge{display:inline-block;font-size:12px;padding:0 .5rem;border-radius:1rem;color:#fff;background:#1a7f37}
.findings .badge{background:#9a6700}.failed .badge{background:#cf222e}
table{border-collapse:collapse;width:100%;margin:.4rem 0}th,td{border-bottom:1px solid #d0d7de;padding:.3rem .5rem;text-align:left;vertical-align:top}
.mono,td.mono{font-family:ui-monospace,monospace;font-size:12px}.errors{color:#cf222e}small{color:#57606a;font-weight:normal}
tr.failure td{color:#cf222e}.empty{color:#57606a}
</style>
</head>
<body>
<h1>Airlock pipeline report</h1>
<p>Project <code>${esc(report.project)}</code>, policy ${report.enforce ? '<strong>enforced</strong> (findings fail the run)' : 'demo (findings are reported, not enforced)'}.</p>
<p class="verdict ${report.ok ? 'ok' : 'bad'}" id="verdict">${esc(report.verdict)}</p>
<h2>Stages</h2>
${stages}
<h2>Workflow findings (audit)</h2>
${table(
  'audit-findings',
  ['rule', 'severity', 'where', 'message'],
  report.audit.map((f) => [f.rule, f.severity, f.where, f.message]),
  'No workflow findings.',
)}
<h2>Vulnerable dependencies (scan)</h2>
${table(
  'vulnerabilities',
  ['advisory', 'package', 'severity', 'status'],
  report.vulnerabilities.map((v) => [v.id, v.pkg, v.severity, v.status]),
  'No vulnerable dependencies.',
)}
<h2>Secrets kept out of the log (redact)</h2>
${table(
  'redactions',
  ['rule or source', 'redactions'],
  report.redactions.map((r) => [r.rule, String(r.count)]),
  'Nothing needed redacting.',
)}
<p id="leak-check">${esc(report.leakCheck)}</p>
<h2>Signed artifacts (sign) and verification (verify)</h2>
${table(
  'signed',
  ['artifact', 'sha256'],
  report.signed.map((s) => [s.name, s.sha256]),
  'Nothing was signed.',
)}
<p id="verification">${esc(report.verification)}</p>
<h2>Trail</h2>
<table id="timeline"><thead><tr><th>#</th><th>time</th><th>action</th><th>step</th><th>outcome</th><th>who</th><th>record sha256</th></tr></thead><tbody>${timeline}</tbody></table>
</body>
</html>
`;
}

export { flattenFacts };
