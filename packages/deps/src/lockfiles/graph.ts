/**
 * Scope from a dependency graph, for lockfiles that do not write it per package (pnpm v9, yarn, bun, uv): the widest
 * scope over every path from a root. A package reached from a runtime root through plain edges is runtime; through an
 * optional edge at best optional; from a dev root dev.
 */
import type { Scope } from '../model.ts';

const RANK: Record<Scope, number> = { runtime: 3, optional: 2, dev: 1 };

export interface Edge {
  readonly to: string;
  readonly optional?: boolean;
}

export function narrower(a: Scope, b: Scope): Scope {
  return RANK[a] <= RANK[b] ? a : b;
}

/**
 * The scope of every node reachable from the roots. Linear in nodes × 3: a node is re-queued only when its scope
 * widens, which happens at most twice.
 */
export function scopesFromRoots(
  roots: readonly { readonly node: string; readonly scope: Scope }[],
  edges: (node: string) => readonly Edge[],
): Map<string, Scope> {
  const best = new Map<string, Scope>();
  const queue: string[] = [];
  const offer = (node: string, scope: Scope) => {
    const current = best.get(node);
    if (current !== undefined && RANK[current] >= RANK[scope]) return;
    best.set(node, scope);
    queue.push(node);
  };
  for (const r of roots) offer(r.node, r.scope);
  for (let i = 0; i < queue.length; i++) {
    const node = queue[i] as string;
    const scope = best.get(node) as Scope;
    for (const e of edges(node)) offer(e.to, e.optional === true ? narrower(scope, 'optional') : scope);
  }
  return best;
}
