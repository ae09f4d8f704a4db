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

function firstMatch<T extends CommandPattern>(patterns: readonly T[], text: string): T | undefined {
  return patterns.find((p) => p.pattern.test(text));
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
  for (const r of COMMAND_ROLES) if (!roles.has(r.role) && r.pattern.test(script)) roles.set(r.role, r.what);
  const tokenReaches = tokenInEnv || TOKEN_REFERENCES.some((p) => p.test(script));
  let recognised = false;
  for (const n of COMMAND_NEEDS) {
    if (n.pattern.test(script)) {
      recognised = true;
      needs.push({ scope: n.scope, level: n.level, why: `${step.label} runs ${n.what}` });
    }
  }
  const opaque = OPAQUE_TOKEN_USE.find((p) => p.test(script));
  let opaqueTokenUse: string | undefined;
  if (tokenReaches && (opaque !== undefined || !recognised)) {
    opaqueTokenUse = `${step.label} passes the GITHUB_TOKEN to commands whose needs are unknown`;
  }
  const oidc = firstMatch(OIDC_COMMANDS, script);
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
