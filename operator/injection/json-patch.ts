/**
 * The RFC 6902 operation type the webhooks return (shared with the webhook server's encoder), and
 * small builders that pick `add` or `replace` for an object member: `replace` of a member that does
 * not exist is an error for the API server's patcher (RFC 6902 §4.3), so the choice must follow the
 * object as it is.
 */
import type { JsonPatchOperation } from '../webhooks/admission-review.js';

export type { JsonPatchOperation };

/** `replace` when the member exists, `add` when it does not. */
export function setMember(path: string, exists: boolean, value: unknown): JsonPatchOperation {
  return { op: exists ? 'replace' : 'add', path, value };
}

/** `remove` operations for array indices, highest first so earlier removals do not shift later ones. */
export function removeIndices(arrayPath: string, indices: readonly number[]): JsonPatchOperation[] {
  return [...indices].sort((a, b) => b - a).map((i) => ({ op: 'remove', path: `${arrayPath}/${i}` }));
}
