import type { Document, LineCounter, Node as YamlNode } from 'yaml';
import { globMatch } from './claims.ts';
import { OidcError } from './errors.ts';
import type { JwtClaims } from './jwt.ts';
import { type RawSettings, type RawValue, SETTINGS } from './settings.ts';

/**
 * Per-environment profiles (input `config`): a YAML file that maps the verified token's `environment` (or `ref`)
 * to provider settings, so that staging and production use different roles or clients, and a job that matches no
 * profile gets nothing.
 *
 *   profiles:
 *     production:
 *       when: { environment: production }
 *       role-to-assume: arn:aws:iam::111111111111:role/deploy
 *       allowed-account-ids: [111111111111]
 *       require-claims: { ref: refs/heads/main }
 *     staging:
 *       when: { environment: staging }
 *       role-to-assume: arn:aws:iam::222222222222:role/deploy
 *
 * Profiles are tried in file order; the first whose `when` matches wins (`environment` and `ref`, globs as in
 * require-claims; a list means any of them). Keys are the action's input names; a profile's `require-claims` adds to
 * the input's (both must hold), every other key replaces the input. `provider`, `issuer`, `config`, the token source
 * and `client-secret` cannot be set by a profile. Errors name file and line.
 */
export interface Profile {
  readonly name: string;
  readonly when: Readonly<Record<'environment' | 'ref', readonly string[]>>;
  readonly values: ReadonlyMap<string, RawValue>;
  readonly where: string;
}

export interface ProfileFile {
  readonly file: string;
  readonly profiles: readonly Profile[];
}

const SELECTORS = ['environment', 'ref'] as const;

function fail(file: string, line: number | undefined, message: string): OidcError {
  return new OidcError('config-invalid', `${file}${line === undefined ? '' : `:${line}`}: ${message}`);
}

export async function parseProfiles(text: string, file: string): Promise<ProfileFile> {
  // Loaded only when a config file is used: the YAML parser is the largest module of the action.
  const yaml = await import(/* webpackMode: "eager" */ 'yaml');
  const lineCounter: LineCounter = new yaml.LineCounter();
  const doc: Document = yaml.parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const lineOf = (node: YamlNode | null | undefined): number | undefined =>
    node?.range == null ? undefined : lineCounter.linePos(node.range[0]).line;
  const firstError = doc.errors[0];
  if (firstError !== undefined) {
    throw fail(
      file,
      lineCounter.linePos(firstError.pos[0]).line,
      `not valid YAML: ${firstError.message.split('\n')[0]}`,
    );
  }
  const root = doc.contents;
  if (!yaml.isMap(root)) throw fail(file, lineOf(root), "expected a mapping with a 'profiles' key");
  for (const pair of root.items) {
    const key = yaml.isScalar(pair.key) ? String(pair.key.value) : '';
    if (key !== 'profiles')
      throw fail(file, lineOf(pair.key as YamlNode), `unknown top-level key '${key}'; expected 'profiles'`);
  }
  const profilesNode = root.get('profiles', true) as YamlNode | undefined;
  if (!yaml.isMap(profilesNode) || profilesNode.items.length === 0) {
    throw fail(file, lineOf(profilesNode ?? root), "'profiles' must be a mapping of profile names to settings");
  }

  const scalarText = (node: unknown, where: number | undefined, what: string): string => {
    if (yaml.isScalar(node) && node.value !== null && typeof node.value !== 'object') return String(node.value);
    throw fail(file, where, `${what} must be a single value`);
  };

  const profiles: Profile[] = [];
  for (const pair of profilesNode.items) {
    const name = scalarText(pair.key, lineOf(pair.key as YamlNode), 'a profile name');
    const body = pair.value as YamlNode | null;
    const line = lineOf(pair.key as YamlNode);
    if (!yaml.isMap(body)) throw fail(file, line, `profile '${name}' must be a mapping of settings`);
    const when: Record<'environment' | 'ref', string[]> = { environment: [], ref: [] };
    const values = new Map<string, RawValue>();
    for (const item of body.items) {
      const keyLine = lineOf(item.key as YamlNode);
      const key = scalarText(item.key, keyLine, 'a setting name');
      const value = item.value as YamlNode | null;
      const valueLine = lineOf(value) ?? keyLine;
      if (key === 'when') {
        if (!yaml.isMap(value))
          throw fail(file, valueLine, `'when' of profile '${name}' must be a mapping like { environment: production }`);
        for (const sel of value.items) {
          const selLine = lineOf(sel.key as YamlNode);
          const selKey = scalarText(sel.key, selLine, 'a selector');
          if (!(SELECTORS as readonly string[]).includes(selKey)) {
            throw fail(
              file,
              selLine,
              `'when' of profile '${name}' can select on ${SELECTORS.join(' and ')}, not '${selKey}'`,
            );
          }
          const list = yaml.isSeq(sel.value) ? sel.value.items : [sel.value];
          for (const entry of list) {
            const text = scalarText(entry, lineOf(entry as YamlNode) ?? selLine, `'${selKey}'`);
            if (text === '') throw fail(file, selLine, `'${selKey}' of profile '${name}' is empty`);
            when[selKey as 'environment' | 'ref'].push(text);
          }
        }
        continue;
      }
      const spec = (SETTINGS as Record<string, { profile: boolean }>)[key];
      if (spec === undefined) {
        const known = Object.entries(SETTINGS)
          .filter(([, s]) => s.profile)
          .map(([k]) => k);
        const near = known.find((k) => editDistance(k, key) <= 2);
        throw fail(
          file,
          keyLine,
          `unknown setting '${key}' in profile '${name}'${near ? `; did you mean '${near}'?` : `; known: ${known.join(', ')}`}`,
        );
      }
      if (!spec.profile) {
        throw fail(
          file,
          keyLine,
          `'${key}' cannot be set by a profile (it decides what the profile is chosen by, or is a secret); set it as an input`,
        );
      }
      values.set(key, rawFromNode(yaml, value, key, file, valueLine, lineOf, scalarText));
    }
    if (when.environment.length === 0 && when.ref.length === 0) {
      throw fail(
        file,
        line,
        `profile '${name}' has no 'when'; add when: { environment: <name> } or when: { ref: <ref> }`,
      );
    }
    profiles.push({ name, when, values, where: `${file}:${line ?? 1}` });
  }
  return { file, profiles };
}

type YamlModule = typeof import('yaml');

function rawFromNode(
  yaml: YamlModule,
  node: YamlNode | null,
  key: string,
  file: string,
  line: number | undefined,
  lineOf: (node: YamlNode | null | undefined) => number | undefined,
  scalarText: (node: unknown, where: number | undefined, what: string) => string,
): RawValue {
  const lines: Array<{ text: string; line: number | undefined }> = [];
  if (yaml.isSeq(node)) {
    for (const item of node.items)
      lines.push({
        text: scalarText(item, lineOf(item as YamlNode) ?? line, `an item of '${key}'`),
        line: lineOf(item as YamlNode) ?? line,
      });
  } else if (yaml.isMap(node)) {
    for (const pair of node.items) {
      const k = scalarText(pair.key, lineOf(pair.key as YamlNode) ?? line, `a key of '${key}'`);
      const items = yaml.isSeq(pair.value) ? pair.value.items : [pair.value];
      for (const item of items) {
        const itemLine = lineOf(item as YamlNode) ?? lineOf(pair.key as YamlNode) ?? line;
        lines.push({ text: `${k}=${scalarText(item, itemLine, `'${key}.${k}'`)}`, line: itemLine });
      }
    }
  } else {
    const text = scalarText(node, line, `'${key}'`);
    // A block scalar (|) spans lines: number them from the value's first line.
    const first = line ?? 1;
    const offset = yaml.isScalar(node) && (node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED') ? 1 : 0;
    return {
      value: text,
      where: `${file}:${first}`,
      lineWhere: (index) => `${file}:${first + offset + index}`,
    };
  }
  return {
    value: lines.map((l) => l.text).join('\n'),
    where: `${file}:${line ?? lines[0]?.line ?? 1}`,
    lineWhere: (index) => `${file}:${lines[index]?.line ?? line ?? 1}`,
  };
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j] as number;
      row[j] = Math.min(current + 1, (row[j - 1] as number) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = current;
    }
  }
  return row[b.length] as number;
}

/** The first profile whose `when` admits the verified claims. */
export function selectProfile(file: ProfileFile, claims: JwtClaims): Profile | undefined {
  return file.profiles.find((p) =>
    SELECTORS.every((sel) => {
      const patterns = p.when[sel];
      if (patterns.length === 0) return true;
      const value = claims[sel];
      return typeof value === 'string' && patterns.some((pattern) => globMatch(pattern, value));
    }),
  );
}

/** The inputs with a profile applied: its require-claims add to the inputs', every other key replaces. */
export function applyProfile(raw: RawSettings, profile: Profile): RawSettings {
  const merged = new Map(raw);
  for (const [key, value] of profile.values) {
    const base = raw.get(key);
    if (key === 'require-claims' && base !== undefined && base.value.trim() !== '') {
      const baseLines = base.value.split(/\r?\n/).length;
      merged.set(key, {
        value: `${base.value}\n${value.value}`,
        where: `${base.where} and ${value.where}`,
        lineWhere: (index) =>
          index < baseLines
            ? (base.lineWhere?.(index) ?? `${base.where} line ${index + 1}`)
            : (value.lineWhere?.(index - baseLines) ?? value.where),
      });
    } else {
      merged.set(key, value);
    }
  }
  return merged;
}
