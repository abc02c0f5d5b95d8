/**
 * Policies indexed by connection. The sidecar builds one index whenever its set of policies
 * changes; `evaluate` then only looks at the policies that name the command's connection.
 */
import type { CompiledPolicy } from './types.js';

/** An immutable index of compiled policies by connection name. */
export interface PolicyIndex {
  readonly kind: 'PolicyIndex';
  readonly all: readonly CompiledPolicy[];
  /** Policies naming the connection, in `namespace/name` order. */
  forConnection(connection: string): readonly CompiledPolicy[];
}

/** What `evaluate` accepts: a plain list (filtered per call) or a prebuilt index. */
export type PolicySet = readonly CompiledPolicy[] | PolicyIndex;

const EMPTY: readonly CompiledPolicy[] = Object.freeze([]);

/** Builds the index once; O(total connections). */
export function indexPolicies(policies: readonly CompiledPolicy[]): PolicyIndex {
  const sorted = [...policies].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const byConnection = new Map<string, CompiledPolicy[]>();
  for (const p of sorted) {
    for (const c of p.connections) {
      let list = byConnection.get(c);
      if (list === undefined) byConnection.set(c, (list = []));
      list.push(p);
    }
  }
  return Object.freeze({
    kind: 'PolicyIndex' as const,
    all: Object.freeze(sorted),
    forConnection: (connection: string) => byConnection.get(connection) ?? EMPTY,
  });
}

/** True for a PolicyIndex, false for a plain array. */
export function isPolicyIndex(set: PolicySet): set is PolicyIndex {
  return !Array.isArray(set);
}
