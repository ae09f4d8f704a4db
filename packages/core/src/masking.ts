/**
 * The forms of a secret that must be registered with the runner so that it cannot appear in the log.
 *
 * The runner masks log output line by line, so a multi-line value registered whole never matches: each line is
 * registered too. A JSON value (a service-account key, a secret stored as JSON) has each string leaf registered as
 * well, because tools print fields of it. Short fragments (a lone `}` line) are not registered: masking them would
 * wreck the log without protecting anything. packages/redact adds the encoded forms (base64, URL, …).
 */
export const MIN_MASK_LENGTH = 4;

export function secretForms(value: string, minLength = MIN_MASK_LENGTH): string[] {
  const forms = new Set<string>();
  if (value.trim() === '') return [];
  forms.add(value);
  const lines = value.split(/\r?\n/);
  if (lines.length > 1) {
    for (const line of lines) {
      const trimmed = line.trim();
      if (trimmed.length >= minLength) forms.add(trimmed);
    }
  }
  for (const leaf of jsonStringLeaves(value)) {
    if (leaf.trim().length >= minLength) {
      forms.add(leaf);
      for (const line of leaf.split(/\r?\n/)) if (line.trim().length >= minLength) forms.add(line.trim());
    }
  }
  return [...forms];
}

function jsonStringLeaves(value: string): string[] {
  const trimmed = value.trim();
  if (!trimmed.startsWith('{') && !trimmed.startsWith('[')) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch {
    return [];
  }
  const out: string[] = [];
  const visit = (v: unknown) => {
    if (typeof v === 'string') out.push(v);
    else if (typeof v === 'number' && String(v).length >= MIN_MASK_LENGTH) out.push(String(v));
    else if (Array.isArray(v)) v.forEach(visit);
    else if (v !== null && typeof v === 'object') Object.values(v).forEach(visit);
  };
  visit(parsed);
  return out;
}
