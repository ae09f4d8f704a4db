/**
 * @airlock/deps: find every locked dependency, order versions per ecosystem, match them against OSV advisories, and
 * gate on a policy. Pure: file access goes through the paths and readers the caller gives.
 */
export * from './model.ts';
