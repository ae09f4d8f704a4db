/**
 * Names of long-lived cloud credentials. A secret with one of these names, or an environment variable of one of
 * these names set from a secret, is a static key that an OIDC exchange (actions/exchange) replaces.
 */
export interface StaticCredential {
  readonly pattern: RegExp;
  readonly what: string;
  readonly provider: 'aws' | 'gcp' | 'azure' | 'generic';
}

export const STATIC_CREDENTIAL_NAMES: readonly StaticCredential[] = [
  {
    pattern: /^AWS_ACCESS_KEY_ID$|_AWS_ACCESS_KEY_ID$|^AWS_.*ACCESS_KEY_ID$/i,
    what: 'an AWS access key id',
    provider: 'aws',
  },
  {
    pattern: /^AWS_SECRET_ACCESS_KEY$|_AWS_SECRET_ACCESS_KEY$|^AWS_.*SECRET_ACCESS_KEY$/i,
    what: 'an AWS secret access key',
    provider: 'aws',
  },
  { pattern: /^(AWS_)?(ACCESS_KEY_ID|SECRET_ACCESS_KEY)$/i, what: 'an AWS access key', provider: 'aws' },
  { pattern: /^GOOGLE_(APPLICATION_)?CREDENTIALS(_JSON)?$/i, what: 'a Google service-account key', provider: 'gcp' },
  {
    pattern: /^(GCP|GCLOUD|GKE|GCS)_(SA_)?(KEY|CREDENTIALS|SERVICE_ACCOUNT(_KEY)?|JSON_KEY)(_JSON)?$/i,
    what: 'a Google service-account key',
    provider: 'gcp',
  },
  { pattern: /SERVICE_ACCOUNT_(KEY|JSON)|_SA_KEY(_JSON)?$/i, what: 'a service-account key', provider: 'gcp' },
  { pattern: /^AZURE_CREDENTIALS$/i, what: 'an Azure service-principal secret', provider: 'azure' },
  { pattern: /^(AZURE|ARM)_CLIENT_SECRET$/i, what: 'an Azure client secret', provider: 'azure' },
];

export function staticCredential(name: string): StaticCredential | undefined {
  return STATIC_CREDENTIAL_NAMES.find((c) => c.pattern.test(name));
}
