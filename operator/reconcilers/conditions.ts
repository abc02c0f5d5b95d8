/**
 * metav1.Condition bookkeeping: a condition keeps its lastTransitionTime while its status stays
 * the same, so `kubectl describe` says how long something has been true, not when we last looked.
 */
import type { Condition } from '../../crds/schemas/common.js';

export interface ConditionInput {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
}

export function setConditions(
  existing: Condition[] | undefined,
  updates: ConditionInput[],
  generation: number,
  now: Date,
): Condition[] {
  const byType = new Map((existing ?? []).map((c) => [c.type, c]));
  for (const u of updates) {
    const previous = byType.get(u.type);
    byType.set(u.type, {
      ...u,
      observedGeneration: generation,
      lastTransitionTime:
        previous && previous.status === u.status ? previous.lastTransitionTime : now.toISOString(),
    });
  }
  return [...byType.values()].sort((a, b) => a.type.localeCompare(b.type));
}

/** Whether two condition lists say the same thing (times aside), so unchanged status is not rewritten. */
export function sameConditions(a: Condition[] | undefined, b: Condition[] | undefined): boolean {
  const strip = (list: Condition[] | undefined) =>
    JSON.stringify(
      (list ?? []).map(({ type, status, reason, message, observedGeneration }) => ({
        type,
        status,
        reason,
        message,
        observedGeneration,
      })),
    );
  return strip(a) === strip(b);
}
