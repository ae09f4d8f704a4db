import type { Container, StringValue, UsesRef } from '../model/types.ts';
import type { Span } from '../source/yaml.ts';
import { allSteps } from './shared.ts';
import type { Rule, RuleContext } from './types.ts';

const FULL_SHA = /^[0-9a-f]{40}$/;
const DIGEST = /@sha256:[0-9a-f]{64}$/;
const VERSION_COMMENT = /#\s*\S*\d/;
const GITHUB_OWNED = new Set(['actions', 'github']);

/** The comment on the line of a `uses:` value, if any (only text after the value, outside the scalar). */
function trailingComment(ctx: RuleContext, span: Span): string | undefined {
  const { line } = ctx.file.position(span.end);
  const lineEnd = ctx.file.lineStart(line) + ctx.file.lineText(line).length;
  const rest = ctx.file.text.slice(span.end, lineEnd);
  const hash = rest.indexOf('#');
  return hash < 0 ? undefined : rest.slice(hash);
}

function checkUses(ctx: RuleContext, uses: UsesRef, within: Span, what: string): void {
  switch (uses.kind) {
    case 'local':
    case 'expression':
      return;
    case 'docker':
      if (!DIGEST.test(uses.image ?? '')) {
        ctx.report({
          span: uses.span,
          within,
          severity: 'high',
          message: `${what} the image ${uses.image} by tag, which its publisher can move: pin it by digest (docker://image@sha256:…).`,
        });
      }
      return;
    case 'invalid':
      ctx.report({
        span: uses.span,
        within,
        severity: 'high',
        message: `${what} '${uses.raw}', which names no ref: GitHub needs owner/repo@ref, and the ref should be a full commit SHA.`,
      });
      return;
    default: {
      const ref = uses.ref ?? '';
      const workflow = uses.kind === 'workflow';
      if (!FULL_SHA.test(ref)) {
        const owned = GITHUB_OWNED.has((uses.owner ?? '').toLowerCase());
        ctx.report({
          span: uses.span,
          within,
          severity: owned ? 'medium' : 'high',
          message: `${what} '${uses.raw}', pinned to '${ref}', which ${/^[0-9a-f]{7,39}$/i.test(ref) ? 'is an abbreviated SHA that a branch or tag of the same name shadows' : 'can be moved to other code at any time'}: pin the ${workflow ? 'reusable workflow' : 'action'} to a full 40-character commit SHA with the version in a comment (@<sha> # ${ref}).`,
        });
        return;
      }
      const comment = trailingComment(ctx, uses.span);
      if (comment === undefined || !VERSION_COMMENT.test(comment)) {
        ctx.report({
          span: uses.span,
          within,
          severity: 'note',
          message: `${what} '${uses.raw}', pinned to a SHA without a version comment: add one (# v1.2.3) so reviewers and update tools can tell which release it is.`,
        });
      }
    }
  }
}

function checkImage(ctx: RuleContext, image: StringValue | undefined, within: Span, what: string): void {
  if (image === undefined) return;
  const value = image.value.trim();
  if (value === '' || value.includes('${{')) return;
  const ref = value.replace(/^docker:\/\//, '');
  if (DIGEST.test(ref)) return;
  ctx.report({
    span: image.span,
    within,
    severity: 'medium',
    message: `${what} image '${value}' is not pinned by digest: the tag can be moved to another image. Pin it as ${ref.split('@')[0]}@sha256:<digest>.`,
  });
}

function checkContainer(ctx: RuleContext, c: Container | undefined, within: Span): void {
  if (c !== undefined) checkImage(ctx, c.image, within, c.label);
}

export const unpinnedUses: Rule = {
  id: 'unpinned-uses',
  title: 'actions, reusable workflows or images not pinned immutably',
  severity: 'high',
  confidence: 'high',
  scope: 'both',
  description:
    "A tag or branch (`@v4`, `@main`) is a pointer its owner — or whoever compromises the owner's account — can move to different code, which then runs in your job with your token and secrets (tj-actions/changed-files, March 2025). Only a full 40-character commit SHA is immutable. The same holds for container images referenced by tag. Local actions (`./…`) come from the repository itself and are allowed. A SHA without a version comment is reported as a note: it is safe, but nobody can tell which release it is.",
  fix: 'Pin every `uses:` to a full commit SHA with the version in a comment — `uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2` — and let Dependabot or Renovate update the SHA and comment together. Pin images by digest (`image: node@sha256:…`).',
  check(ctx) {
    const doc = ctx.doc;
    for (const { step } of allSteps(doc)) {
      if (step.uses !== undefined) checkUses(ctx, step.uses, step.span, `${step.label} uses`);
    }
    if (doc.kind === 'workflow') {
      for (const job of doc.jobs) {
        if (job.uses !== undefined) checkUses(ctx, job.uses, job.span, `job '${job.id}' calls`);
        checkContainer(ctx, job.container, job.span);
        for (const s of job.services) checkContainer(ctx, s, job.span);
      }
    } else if (doc.image?.value.startsWith('docker://')) {
      checkImage(ctx, doc.image, doc.image.span, 'runs.image');
    }
  },
};
