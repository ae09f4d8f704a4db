import type { Container } from '../model/types.ts';
import type { Rule } from './types.ts';

export const hardcodedCredentials: Rule = {
  id: 'hardcoded-credentials',
  title: 'registry password written into the workflow',
  severity: 'high',
  confidence: 'high',
  scope: 'workflow',
  description:
    'A `container` or `services` block whose `credentials.password` is a literal puts the registry password in the repository, readable by everyone who can read the code and kept forever in its history.',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: GitHub expression syntax, not a JavaScript template
  fix: 'Reference a secret (`password: ${{ secrets.REGISTRY_TOKEN }}`), or for ghcr.io use `${{ github.token }}` with `packages: read`; then rotate the password that was committed.',
  check(ctx) {
    const doc = ctx.doc;
    if (doc.kind !== 'workflow') return;
    const check = (c: Container | undefined, jobId: string) => {
      if (c?.password === undefined) return;
      const value = c.password.value.trim();
      if (value === '' || value.includes('${{')) return;
      ctx.report({
        span: c.password.span,
        message: `job '${jobId}' ${c.label} has a hardcoded registry password: use a secret, and rotate this one.`,
      });
    };
    for (const job of doc.jobs) {
      check(job.container, job.id);
      for (const s of job.services) check(s, job.id);
    }
  },
};
