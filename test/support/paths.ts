import { join } from 'node:path';
import { ROOT } from '../../scripts/lib/actions.ts';

export { ROOT };
export const FIXTURES = join(ROOT, 'test/fixtures');
export const PROBE_ACTION = join(FIXTURES, 'actions/probe');
export const SHARED = join(ROOT, '..', 'shared');

/** A real action directory under actions/. */
export const actionDir = (name: string): string => join(ROOT, 'actions', name);
