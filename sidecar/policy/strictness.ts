/**
 * The one ordering the engine uses everywhere: Deny is stricter than RequireApproval, which is
 * stricter than Allow. Several statements in one message, several applicable policies: the
 * strictest wins.
 */
import type { Action } from '../../crds/schemas/access-policy.js';

const RANK: Record<Action, number> = { Allow: 0, RequireApproval: 1, Deny: 2 };

/** 0 for Allow, 1 for RequireApproval, 2 for Deny. */
export function strictness(action: Action): number {
  return RANK[action];
}

/** True when `a` is strictly stricter than `b`. */
export function isStricter(a: Action, b: Action): boolean {
  return RANK[a] > RANK[b];
}
