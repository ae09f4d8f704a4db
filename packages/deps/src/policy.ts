/**
 * The scan policy: which findings fail the step. Read from `airlock.yml` (the `scan:` section) and from the action's
 * inputs or the CLI's options, which override the file.
 *
 *     scan:
 *       fail-on: high              # critical | high | medium | low | any | none
 *       unscored: fail             # fail | warn | ignore — what an advisory without any severity does
 *       scopes: [runtime, dev, optional]
 *       ignore:
 *         - id: CVE-2024-12345     # any id or alias: CVE, GHSA, PYSEC, GO, …
 *           reason: not reachable: we never parse untrusted XML   # required
 *           expires: 2026-06-30    # optional; after it the ignore stops applying and is reported
 *           packages: [lxml]       # optional: only for these packages
 *       licenses:
 *         allow: MIT OR Apache-2.0 OR BSD-3-Clause OR ISC   # SPDX ids, as a list or an OR expression
 *         deny: [GPL-3.0-only, AGPL-3.0-only]
 *
 * Errors name the file and line (`airlock.yml:7: ignore entry 'GHSA-…' needs a reason`).
 */
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import { DepsError, type Scope } from './model.ts';
import type { Finding } from './osv/match.ts';
import { LEVEL_RANK, type Severity } from './severity/index.ts';
import { checkLicense, parseSpdx, SpdxError, type SpdxNode } from './spdx.ts';

export const FAIL_ON = ['critical', 'high', 'medium', 'low', 'any', 'none'] as const;
export type FailOn = (typeof FAIL_ON)[number];
export const UNSCORED = ['fail', 'warn', 'ignore'] as const;
export type UnscoredPolicy = (typeof UNSCORED)[number];
export const SCOPES: readonly Scope[] = ['runtime', 'dev', 'optional'];

export interface IgnoreRule {
  readonly id: string;
  readonly reason: string;
  /** YYYY-MM-DD; the rule applies through the end of that day (UTC). */
  readonly expires?: string;
  readonly packages?: readonly string[];
  /** `airlock.yml:12`, or `input 'ignore'`. */
  readonly source: string;
}

export interface Policy {
  readonly failOn: FailOn;
  readonly unscored: UnscoredPolicy;
  readonly scopes: readonly Scope[];
  readonly ignores: readonly IgnoreRule[];
  readonly licenses: { readonly allow: readonly string[]; readonly deny: readonly string[] };
}

export const DEFAULT_POLICY: Policy = {
  failOn: 'high',
  unscored: 'fail',
  scopes: SCOPES,
  ignores: [],
  licenses: { allow: [], deny: [] },
};

export type PolicyOverrides = Partial<Omit<Policy, 'licenses'>> & {
  readonly licenses?: { readonly allow?: readonly string[]; readonly deny?: readonly string[] };
};

/** Apply overrides (inputs, options) over a policy (file or default). */
export function mergePolicy(base: Policy, overrides: PolicyOverrides): Policy {
  return {
    failOn: overrides.failOn ?? base.failOn,
    unscored: overrides.unscored ?? base.unscored,
    scopes: overrides.scopes ?? base.scopes,
    ignores: [...base.ignores, ...(overrides.ignores ?? [])],
    licenses: {
      allow: overrides.licenses?.allow ?? base.licenses.allow,
      deny: overrides.licenses?.deny ?? base.licenses.deny,
    },
  };
}

/** License ids from a list or an `A OR B OR C` expression. */
export function licenseList(value: string | readonly string[], where: string): string[] {
  const items = typeof value === 'string' ? [value] : value;
  const out: string[] = [];
  for (const item of items) {
    let tree: SpdxNode;
    try {
      tree = parseSpdx(item);
    } catch (error) {
      throw new DepsError('policy-invalid', `${where}: ${(error as Error).message}`);
    }
    const walk = (node: SpdxNode): void => {
      if (node.type === 'license')
        out.push(`${node.id}${node.plus ? '+' : ''}${node.exception ? ` WITH ${node.exception}` : ''}`);
      else if (node.type === 'or') {
        walk(node.left);
        walk(node.right);
      } else throw new DepsError('policy-invalid', `${where}: a license list joins ids with OR, not AND ('${item}')`);
    };
    walk(tree);
  }
  return out;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function validDate(text: string): boolean {
  const m = DATE.exec(text);
  if (!m) return false;
  const d = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(text);
}

/** Parse the `scan:` section of an airlock.yml. Returns the default policy when there is none. */
export function parsePolicyFile(text: string, path: string): Policy {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  const lineOf = (node: Node | null | undefined) => (node?.range ? counter.linePos(node.range[0]).line : 1);
  const fail = (node: Node | null | undefined, message: string): never => {
    throw new DepsError('policy-invalid', `${path}:${lineOf(node)}: ${message}`);
  };
  const firstError = doc.errors[0];
  if (firstError !== undefined) {
    const line = firstError.linePos?.[0]?.line ?? counter.linePos(firstError.pos[0]).line;
    throw new DepsError('policy-invalid', `${path}:${line}: ${firstError.message.split('\n')[0]}`);
  }
  if (doc.contents === null) return DEFAULT_POLICY;
  if (!isMap(doc.contents)) return fail(doc.contents, 'expected a mapping at the top of the file');
  const scanPair = doc.contents.items.find((p) => isScalar(p.key) && p.key.value === 'scan');
  if (scanPair === undefined || scanPair.value === null) return DEFAULT_POLICY;
  const scan = scanPair.value as Node;
  if (!isMap(scan)) return fail(scan, "expected a mapping under 'scan'");

  const scalarString = (node: unknown, what: string): string => {
    if (!isScalar(node) || node.value === null || typeof node.value === 'object') {
      return fail(node as Node, `${what} must be a string`);
    }
    return String(node.value);
  };
  const stringList = (node: unknown, what: string): string[] => {
    if (isSeq(node)) return node.items.map((item) => scalarString(item, `each item of ${what}`));
    return [scalarString(node, what)];
  };
  const choice = <T extends string>(node: unknown, what: string, options: readonly T[]): T => {
    const value = scalarString(node, what);
    if (!(options as readonly string[]).includes(value))
      fail(node as Node, `${what} must be one of ${options.join(', ')}; got '${value}'`);
    return value as T;
  };

  let policy: Policy = DEFAULT_POLICY;
  const ignores: IgnoreRule[] = [];
  for (const pair of scan.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : '';
    const value = pair.value;
    switch (key) {
      case 'fail-on':
        policy = { ...policy, failOn: choice(value, "'fail-on'", FAIL_ON) };
        break;
      case 'unscored':
        policy = { ...policy, unscored: choice(value, "'unscored'", UNSCORED) };
        break;
      case 'scopes':
        policy = {
          ...policy,
          scopes: stringList(value, "'scopes'").map((s) => {
            if (!(SCOPES as readonly string[]).includes(s))
              fail(value as Node, `'scopes' items must be runtime, dev or optional; got '${s}'`);
            return s as Scope;
          }),
        };
        break;
      case 'ignore': {
        if (!isSeq(value)) fail((value ?? pair.key) as Node, "'ignore' must be a list of {id, reason, expires}");
        for (const item of (value as { items: unknown[] }).items) {
          if (!isMap(item)) fail(item as Node, "each 'ignore' entry must be a mapping with id and reason");
          const map = item as import('yaml').YAMLMap;
          const get = (k: string) => map.items.find((p) => isScalar(p.key) && p.key.value === k)?.value;
          for (const p of map.items) {
            const k = isScalar(p.key) ? String(p.key.value) : '';
            if (!['id', 'reason', 'expires', 'packages'].includes(k))
              fail(p.key as Node, `unknown key '${k}' in an ignore entry (expected id, reason, expires, packages)`);
          }
          const idNode = get('id');
          if (idNode === undefined) fail(map, "an ignore entry needs an 'id'");
          const id = scalarString(idNode, "'id'");
          const reasonNode = get('reason');
          const reason = reasonNode === undefined ? '' : scalarString(reasonNode, "'reason'").trim();
          if (reason === '') fail(map, `ignore entry '${id}' needs a reason`);
          const expiresNode = get('expires');
          let expires: string | undefined;
          if (expiresNode !== undefined && expiresNode !== null) {
            expires = scalarString(expiresNode, "'expires'");
            if (!validDate(expires))
              fail(expiresNode as Node, `'expires' must be a date like 2026-06-30; got '${expires}'`);
          }
          const packagesNode = get('packages');
          const packages = packagesNode === undefined ? undefined : stringList(packagesNode, "'packages'");
          ignores.push({
            id,
            reason,
            ...(expires === undefined ? {} : { expires }),
            ...(packages === undefined ? {} : { packages }),
            source: `${path}:${lineOf(map)}`,
          });
        }
        break;
      }
      case 'licenses': {
        if (!isMap(value)) fail((value ?? pair.key) as Node, "'licenses' must be a mapping with allow and/or deny");
        let allow: string[] = [];
        let deny: string[] = [];
        for (const p of (value as import('yaml').YAMLMap).items) {
          const k = isScalar(p.key) ? String(p.key.value) : '';
          if (k !== 'allow' && k !== 'deny')
            fail(p.key as Node, `unknown key '${k}' under 'licenses' (expected allow, deny)`);
          const list = licenseList(stringList(p.value, `'licenses.${k}'`), `${path}:${lineOf(p.value as Node)}`);
          if (k === 'allow') allow = list;
          else deny = list;
        }
        policy = { ...policy, licenses: { allow, deny } };
        break;
      }
      default:
        fail(
          pair.key as Node,
          `unknown key '${key}' under 'scan' (expected fail-on, unscored, scopes, ignore, licenses)`,
        );
    }
  }
  return { ...policy, ignores };
}

export interface AssessedFinding extends Finding {
  readonly severity: Severity;
}

export type Disposition =
  | { readonly kind: 'fail' }
  | { readonly kind: 'report'; readonly why: string }
  | { readonly kind: 'ignored'; readonly rule: IgnoreRule };

export interface LicenseViolation {
  readonly package: import('./model.ts').Package;
  readonly reason: string;
}

export interface PolicyResult {
  readonly decisions: ReadonlyArray<{ readonly finding: AssessedFinding; readonly disposition: Disposition }>;
  readonly expiredIgnores: readonly IgnoreRule[];
  readonly unusedIgnores: readonly IgnoreRule[];
  readonly licenseViolations: readonly LicenseViolation[];
  readonly failed: boolean;
  /** One line per reason the gate failed. */
  readonly reasons: readonly string[];
}

/** Whether an ignore rule has expired at `now` (it applies through the end of its day, UTC). */
export function isExpired(rule: IgnoreRule, now: Date): boolean {
  return rule.expires !== undefined && now.getTime() >= Date.parse(`${rule.expires}T00:00:00Z`) + 86_400_000;
}

function gates(policy: Policy, severity: Severity): boolean {
  if (policy.failOn === 'none') return false;
  if (severity.level === 'unscored') return policy.unscored === 'fail';
  if (policy.failOn === 'any') return true;
  return LEVEL_RANK[severity.level] >= LEVEL_RANK[policy.failOn];
}

export function evaluatePolicy(
  findings: readonly AssessedFinding[],
  packages: readonly import('./model.ts').Package[],
  policy: Policy,
  now: Date,
): PolicyResult {
  const active = policy.ignores.filter((r) => !isExpired(r, now));
  const expiredIgnores = policy.ignores.filter((r) => isExpired(r, now));
  const used = new Set<IgnoreRule>();
  const decisions = findings.map((finding) => {
    const ids = new Set(finding.ids.map((id) => id.toUpperCase()));
    const rule = active.find(
      (r) =>
        ids.has(r.id.toUpperCase()) && (r.packages === undefined || r.packages.some((p) => p === finding.package.name)),
    );
    let disposition: Disposition;
    if (rule !== undefined) {
      used.add(rule);
      disposition = { kind: 'ignored', rule };
    } else if (!policy.scopes.includes(finding.package.scope)) {
      disposition = { kind: 'report', why: `scope ${finding.package.scope} is not gated` };
    } else if (gates(policy, finding.severity)) {
      disposition = { kind: 'fail' };
    } else {
      disposition = {
        kind: 'report',
        why:
          finding.severity.level === 'unscored'
            ? `unscored (policy: unscored ${policy.unscored})`
            : `below fail-on ${policy.failOn}`,
      };
    }
    return { finding, disposition };
  });
  const licenseViolations: LicenseViolation[] = [];
  if (policy.licenses.allow.length > 0 || policy.licenses.deny.length > 0) {
    for (const pkg of packages) {
      if (pkg.license === undefined || !policy.scopes.includes(pkg.scope)) continue;
      try {
        const verdict = checkLicense(pkg.license, policy.licenses.allow, policy.licenses.deny);
        if (!verdict.ok) licenseViolations.push({ package: pkg, reason: verdict.reason as string });
      } catch (error) {
        if (!(error instanceof SpdxError)) throw error;
        licenseViolations.push({ package: pkg, reason: `license is not a valid SPDX expression: ${error.message}` });
      }
    }
  }
  const failing = decisions.filter((d) => d.disposition.kind === 'fail').length;
  const reasons: string[] = [];
  if (failing > 0) {
    reasons.push(
      `${failing} ${failing === 1 ? 'vulnerability' : 'vulnerabilities'} at or above fail-on ${policy.failOn}${policy.unscored === 'fail' ? ' (or unscored)' : ''}`,
    );
  }
  if (licenseViolations.length > 0) {
    reasons.push(
      `${licenseViolations.length} ${licenseViolations.length === 1 ? 'package violates' : 'packages violate'} the license policy`,
    );
  }
  return {
    decisions,
    expiredIgnores,
    unusedIgnores: active.filter((r) => !used.has(r)),
    licenseViolations,
    failed: reasons.length > 0,
    reasons,
  };
}
