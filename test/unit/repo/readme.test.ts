import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { updatedReadme } from '../../../scripts/docs.ts';
import { ROOT } from '../../support/paths.ts';

describe('README', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

  it('has the generated action sections up to date (npm run docs)', () => {
    expect(readme).toBe(updatedReadme(readme));
  });

  it('starts with the two commands', () => {
    const top = readme.split('\n').slice(0, 30).join('\n');
    expect(top).toContain('npm ci && npm start');
    expect(top).toContain('npm test');
  });
});
