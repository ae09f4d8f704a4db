/**
 * Just enough XML for the STS Query API: its responses are small, flat, machine-written documents
 * (`<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>…`), so a full XML
 * parser would be load time for nothing. Elements are found by their path of names; text is entity-decoded. No
 * attribute, CDATA, DTD or entity declaration is interpreted (STS sends none).
 */
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

export function decodeXmlText(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-z]+);/g, (whole, entity: string) => {
    if (entity.startsWith('#x')) return String.fromCodePoint(Number.parseInt(entity.slice(2), 16));
    if (entity.startsWith('#')) return String.fromCodePoint(Number.parseInt(entity.slice(1), 10));
    return ENTITIES[entity] ?? whole;
  });
}

/** The inner XML of the first element `name` (namespace prefixes ignored), or undefined. */
function inner(xml: string, name: string): string | undefined {
  const open = new RegExp(`<(?:[A-Za-z_][\\w.-]*:)?${name}(?:\\s[^>]*)?(/?)>`).exec(xml);
  if (open === null) return undefined;
  if (open[1] === '/') return '';
  const start = open.index + open[0].length;
  const close = new RegExp(`</(?:[A-Za-z_][\\w.-]*:)?${name}\\s*>`).exec(xml.slice(start));
  if (close === null) return undefined;
  return xml.slice(start, start + close.index);
}

/** Text of the element at `path` (`['AssumeRoleResult', 'Credentials', 'AccessKeyId']`), entity-decoded. */
export function xmlText(xml: string, path: readonly string[]): string | undefined {
  let current: string | undefined = xml;
  for (const name of path) {
    current = inner(current, name);
    if (current === undefined) return undefined;
  }
  if (/<[A-Za-z]/.test(current)) return undefined; // an element, not text
  return decodeXmlText(current.trim());
}

/** The name of the document's root element. */
export function xmlRoot(xml: string): string | undefined {
  const m = /^\s*(?:<\?xml[^>]*\?>\s*)?<(?:[A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)/.exec(xml);
  return m?.[1];
}
