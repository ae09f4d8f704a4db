/** The GITHUB_TOKEN permission scopes. */
export const SCOPES = [
  'actions',
  'attestations',
  'checks',
  'contents',
  'deployments',
  'discussions',
  'id-token',
  'issues',
  'models',
  'packages',
  'pages',
  'pull-requests',
  'repository-projects',
  'security-events',
  'statuses',
] as const;
export type Scope = (typeof SCOPES)[number];
export type Level = 'read' | 'write';

/**
 * A condition on a step's `with:` inputs. All given fields must hold. `present`: the input is set to a non-empty
 * value; `absent`: it is not; `equals`: its value is one of these (case-insensitive); `matches`: it matches.
 */
export interface InputCondition {
  readonly input: string;
  readonly present?: true;
  readonly absent?: true;
  readonly equals?: readonly string[];
  readonly matches?: RegExp;
}

/** Holds when every condition holds (an empty list always holds). */
export type When = readonly InputCondition[];

export interface Need {
  readonly scope: Scope;
  readonly level: Level;
  readonly when?: When;
  readonly why: string;
}

/** What a step does, for the rules that look at the shape of a job or workflow. */
export type Role =
  | 'checkout'
  | 'upload-artifact'
  | 'download-artifact'
  | 'cache'
  | 'sign'
  | 'scan'
  | 'publish'
  | 'deploy'
  | 'oidc-login'
  | 'verify';

export interface OidcIdentity {
  /** `aws`, `gcp`, `azure`, `vault`, `pypi`, `sigstore`, … */
  readonly provider: string;
  /** The input holding the audience, and the default audience when it is not set. */
  readonly audienceInput?: string;
  readonly defaultAudience?: string;
  /** Default audiences by the value of the `provider` input (Airlock exchange). */
  readonly audienceByProvider?: Readonly<Record<string, string>>;
  /** Inputs that name the role or principal obtained (role ARN, service account, client id, Vault role). */
  readonly principalInputs?: readonly string[];
}

export interface ActionKnowledge {
  /** `owner/repo` or `owner/repo/path`, lower case. `*` stands for any owner (Airlock's own actions). */
  readonly uses: string;
  /** Also matches local references of the same action (`./actions/exchange` inside the Airlock repository). */
  readonly local?: string;
  readonly title: string;
  /** The GITHUB_TOKEN permissions the action needs. */
  readonly needs: readonly Need[];
  /** Scopes the action may need depending on inputs not modelled here: never reported as unneeded. */
  readonly may?: readonly Scope[];
  /** It requests a GitHub OIDC token (when these conditions hold). */
  readonly oidc?: When;
  readonly oidcIdentity?: OidcIdentity;
  readonly roles: ReadonlyArray<{ readonly role: Role; readonly when?: When }>;
  /** Inputs that take long-lived credentials that an OIDC exchange replaces. */
  readonly staticCredentials?: ReadonlyArray<{ readonly input: string; readonly what: string; readonly oidc: string }>;
  /** What it does with the token is decided by the user's code (github-script). */
  readonly scriptedTokenUse?: true;
  /** The input holding a script that runs with the step's privileges (template injection target). */
  readonly scriptInput?: string;
}
