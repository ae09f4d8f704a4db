import { appendToMap, insertAfterKey } from '../fixes.ts';
import type { Step } from '../model/types.ts';
import { pairOf } from '../source/yaml.ts';
import { allSteps } from './shared.ts';
import type { Rule } from './types.ts';

/** An upload-artifact path that includes the checkout's .git directory (and so the persisted token). */
function uploadsWorkspace(step: Step): boolean {
  if (step.uses?.slug !== 'actions/upload-artifact') return false;
  const path = step.with.get('path')?.value ?? '';
  return path
    .split(/\r?\n/)
    .map((l) => l.trim())
    .some(
      (p) =>
        /^(\.|\.\/|\*|\*\*|\.\/\*\*?|\.git(\/.*)?)$/.test(p) ||
        /^\$\{\{\s*github\.workspace\s*\}\}\/?(\*\*?)?$/.test(p) ||
        /(^|\/)\.git(\/|$)/.test(p),
    );
}

export const artipacked: Rule = {
  id: 'artipacked',
  title: 'checkout persists the token in .git/config',
  severity: 'high',
  confidence: 'high',
  scope: 'both',
  autofix: true,
  description:
    'actions/checkout writes the GITHUB_TOKEN into the repository’s git configuration by default (`persist-credentials: true`), where every later step — including third-party actions and build scripts that never needed it — can read it, and where an artifact upload of the workspace publishes it (“ArtiPACKED”). Worse when the workspace is uploaded later in the job.',
  fix: 'Set `persist-credentials: false` on actions/checkout, and give the token explicitly to the one step that pushes, if any. `airlock audit --fix` adds it.',
  check(ctx) {
    const doc = ctx.doc;
    const entries = allSteps(doc);
    for (const [i, { job, step }] of entries.entries()) {
      if (step.uses?.slug !== 'actions/checkout') continue;
      const persist = step.with.get('persist-credentials')?.value.trim().toLowerCase();
      if (persist === 'false') continue;
      const later = entries.slice(i + 1).filter((e) => e.job === job);
      const upload = later.find((e) => uploadsWorkspace(e.step));
      const anyUpload = later.find((e) => e.step.uses?.slug === 'actions/upload-artifact');
      let fix: { description: string; edits: import('../finding.ts').TextEdit[] } | undefined;
      if (persist === undefined) {
        const edit =
          step.withNode !== undefined
            ? appendToMap(ctx.file, step.withNode, ['persist-credentials: false'])
            : pairOf(step.node, 'with') === null
              ? insertAfterKey(ctx.file, step.node, 'uses', ['with:', '  persist-credentials: false'])
              : undefined;
        if (edit !== undefined) fix = { description: 'add persist-credentials: false', edits: [edit] };
      }
      const where =
        persist === undefined ? 'does not set persist-credentials: false' : `sets persist-credentials: ${persist}`;
      ctx.report({
        span: step.uses.span,
        within: step.span,
        severity: upload !== undefined ? 'high' : 'medium',
        message: upload
          ? `${step.label} ${where}, and ${upload.step.label} uploads the workspace as an artifact: the GITHUB_TOKEN in .git/config goes with it.`
          : `${step.label} ${where}: the GITHUB_TOKEN stays in .git/config for every later step${anyUpload ? ' and near an artifact upload' : ''}.`,
        ...(fix === undefined ? {} : { fix }),
      });
    }
  },
};
