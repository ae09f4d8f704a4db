/** Severities from least to most severe. `note` is informational: worth knowing, rarely worth failing a build. */
export const SEVERITIES = ['note', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** What `fail-on` accepts: a severity, or `never` to report without failing. */
export const FAIL_ON = ['critical', 'high', 'medium', 'low', 'note', 'never'] as const;
export type FailOn = (typeof FAIL_ON)[number];

/** How sure a rule is that a finding is a real problem (SARIF `precision`). */
export const CONFIDENCES = ['low', 'medium', 'high'] as const;
export type Confidence = (typeof CONFIDENCES)[number];

export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

export function isSeverity(value: string): value is Severity {
  return (SEVERITIES as readonly string[]).includes(value);
}

/** True when a finding of this severity reaches the `fail-on` threshold. */
export function reaches(severity: Severity, failOn: FailOn): boolean {
  return failOn !== 'never' && severityRank(severity) >= severityRank(failOn);
}

export function highest(severities: Iterable<Severity>): Severity | undefined {
  let best: Severity | undefined;
  for (const s of severities) if (best === undefined || severityRank(s) > severityRank(best)) best = s;
  return best;
}

/** SARIF `security-severity` scores (GitHub code scanning maps ≥9 critical, ≥7 high, ≥4 medium, else low). */
export const SECURITY_SEVERITY: Record<Severity, string> = {
  critical: '9.5',
  high: '8.0',
  medium: '5.5',
  low: '3.0',
  note: '1.0',
};
