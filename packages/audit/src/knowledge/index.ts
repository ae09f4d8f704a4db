import type { Step, UsesRef } from '../model/types.ts';
import { ACTIONS } from './actions.ts';
import {
  COMMAND_NEEDS,
  COMMAND_ROLES,
  type CommandPattern,
  OIDC_COMMANDS,
  OPAQUE_TOKEN_USE,
  TOKEN_REFERENCES,
} from './commands.ts';
import type { ActionKnowledge, Level, Role, Scope, When } from './types.ts';

export { ACTIONS } from './actions.ts';
export * from './commands.ts';
export * from './contexts.ts';
export * from './credentials.ts';
export * from './types.ts';

const BY_SLUG = new Map<string, ActionKnowledge>();
const BY_LOCAL = new Map<string, ActionKnowledge>();
const WILDCARD: ActionKnowledge[] = [];
for (const entry of ACTIONS) {
  if (entry.uses.startsWith('*/')) WILDCARD.push(entry);
  else BY_SLUG.set(entry.uses, entry);
  if (entry.local !== undefined) BY_LOCAL.set(entry.local, entry);
}

/** The knowledge-base entry for a `uses:` reference, if any. */
export function lookupAction(uses: UsesRef): ActionKnowledge | undefined {
  if (uses.kind === 'local') return BY_LOCAL.get(uses.slug);
  if (uses.kind !== 'action' && uses.kind !== 'workflow') return undefined;
  const exact = BY_SLUG.get(uses.slug);
  if (exact !== undefined) return exact;
  const withoutOwner = uses.slug.split('/').slice(1).join('/');
  return WILDCARD.find((e) => e.uses.slice(2) === withoutOwner);
}

/** Do the conditions hold for these `with:` inputs? */
export function holds(when: When | undefined, inputs: ReadonlyMap<string, { value: string }>): boolean {
  if (when === undefined) return true;
  return when.every((c) => {
    const raw = inputs.get(c.input)?.value;
    const value = raw === undefined ? '' : raw.trim();
    if (c.present && value === '') return false;
    if (c.absent && value !== '') return false;
    if (c.equals && !c.equals.some((e) => e.toLowerCase() === value.toLowerCase())) return false;
    if (c.matches && !c.matches.test(value)) return false;
    return true;
  });
}

export interface StepNeed {
  readonly scope: Scope;
  readonly level: Level;
  readonly why: string;
}

/** What the knowledge base says about one step. */
export interface StepFacts {
  readonly step: Step;
  readonly knowledge: ActionKnowledge | undefined;
  /** A `uses:` step the knowledge base does not know. */
  readonly unknownAction: boolean;
  readonly needs: readonly StepNeed[];
  readonly may: readonly Scope[];
  readonly roles: ReadonlyMap<Role, string>;
  /** Why the step requests an OIDC token, when it does. */
  readonly oidc: string | undefined;
  /** The step gets the GITHUB_TOKEN and does something with it these rules cannot pin down. */
  readonly opaqueTokenUse: string | undefined;
}

/**
 * A literal word every match of a pattern must contain (the longest one outside groups), so that most patterns are
 * skipped with a substring check instead of running the regular expression over every script.
 */
const HINTS = new WeakMap<RegExp, string | null>();

export function hint(pattern: RegExp): string | null {
  let h = HINTS.get(pattern);
  if (h === undefined) {
    let source = pattern.source;
    for (let prev = ''; prev !== source; ) {
      prev = source;
      source = source.replace(/\([^()]*\)[?*]?/g, ' ').replace(/\[[^\]]*\][?*+]?/g, ' ');
    }
    const words = source
      .replace(/\\[bBsSdDwW]/g, ' ')
      .replace(/\\(.)/g, '$1')
      .split(/[^A-Za-z0-9_-]+/)
      .filter((w) => w.length >= 3);
    // a word followed by ? or * is optional; such words were removed with their quantifier above only for groups
    const best = words.sort((a, b) => b.length - a.length)[0];
    h =
      best === undefined || /[?*{|]/.test(pattern.source.replace(/\\./g, '').replace(/\([^()]*\)/g, '')) ? null : best;
    if (h !== null && pattern.flags.includes('i')) h = h.toLowerCase();
    HINTS.set(pattern, h);
  }
  return h;
}

interface Prepared {
  readonly hint: string | null;
  readonly caseless: boolean;
}
const PREPARED = new WeakMap<RegExp, Prepared>();

function matches(pattern: RegExp, text: string, lower: string): boolean {
  let p = PREPARED.get(pattern);
  if (p === undefined) {
    p = { hint: hint(pattern), caseless: pattern.flags.includes('i') };
    PREPARED.set(pattern, p);
  }
  if (p.hint !== null && !(p.caseless ? lower : text).includes(p.hint)) return false;
  return pattern.test(text);
}

function firstMatch<T extends CommandPattern>(patterns: readonly T[], text: string, lower: string): T | undefined {
  return patterns.find((p) => matches(p.pattern, text, lower));
}

/**
 * @param tokenInEnv true when an env variable visible to the step carries github.token (GH_TOKEN: ${{ github.token }})
 */
export function stepFacts(step: Step, tokenInEnv: boolean): StepFacts {
  const roles = new Map<Role, string>();
  const needs: StepNeed[] = [];
  if (step.uses !== undefined) {
    const knowledge = lookupAction(step.uses);
    if (knowledge === undefined) {
      return {
        step,
        knowledge,
        unknownAction: step.uses.kind !== 'docker',
        needs,
        may: [],
        roles,
        oidc: undefined,
        opaqueTokenUse: undefined,
      };
    }
    for (const n of knowledge.needs) {
      if (holds(n.when, step.with)) needs.push({ scope: n.scope, level: n.level, why: `${knowledge.uses} ${n.why}` });
    }
    for (const r of knowledge.roles) if (holds(r.when, step.with)) roles.set(r.role, knowledge.title);
    const oidc = knowledge.oidc !== undefined && holds(knowledge.oidc, step.with) ? knowledge.title : undefined;
    return {
      step,
      knowledge,
      unknownAction: false,
      needs,
      may: knowledge.may ?? [],
      roles,
      oidc,
      opaqueTokenUse: knowledge.scriptedTokenUse ? `${knowledge.uses} runs a script with the token` : undefined,
    };
  }
  const script = step.run?.value ?? '';
  const lower = script.toLowerCase();
  for (const r of COMMAND_ROLES) if (!roles.has(r.role) && matches(r.pattern, script, lower)) roles.set(r.role, r.what);
  const tokenReaches = tokenInEnv || TOKEN_REFERENCES.some((p) => p.test(script));
  let recognised = false;
  for (const n of COMMAND_NEEDS) {
    if (matches(n.pattern, script, lower)) {
      recognised = true;
      needs.push({ scope: n.scope, level: n.level, why: `${step.label} runs ${n.what}` });
    }
  }
  const opaque = OPAQUE_TOKEN_USE.find((p) => p.test(script));
  let opaqueTokenUse: string | undefined;
  if (tokenReaches && (opaque !== undefined || !recognised)) {
    opaqueTokenUse = `${step.label} passes the GITHUB_TOKEN to commands whose needs are unknown`;
  }
  const oidc = firstMatch(OIDC_COMMANDS, script, lower);
  return {
    step,
    knowledge: undefined,
    unknownAction: false,
    needs,
    may: [],
    roles,
    oidc: oidc === undefined ? undefined : `${step.label} uses ${oidc.what}`,
    opaqueTokenUse,
  };
}
