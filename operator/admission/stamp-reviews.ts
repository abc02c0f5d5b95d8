/**
 * The mutating half of the review webhook: whoever a review claims wrote it, the API server's
 * `userInfo` is what counts (DESIGN.md §6). Every review appended by this request is stamped with
 * the authenticated username, groups and the time, overwriting anything the patch said.
 */
import type { JsonPatchOperation } from '../webhooks/admission-review.js';
import {
  isPlainObject,
  reviewsOf,
  type ApprovalRequestObject,
  type ReviewerInfo,
} from './approval-request-object.js';

/** The fields the webhook owns; whatever the patch put there is discarded. */
const STAMPED = new Set(['reviewer', 'reviewerGroups', 'reviewedAt']);

/**
 * Patch operations stamping each review that is new in `newObject` (reviews are append-only, so
 * "new" means an index at or past the old list's length; on CREATE every review is new). Entries
 * that are not objects are left for the validating webhook to refuse.
 */
export function stampReviews(
  oldObject: ApprovalRequestObject | undefined,
  newObject: ApprovalRequestObject,
  userInfo: ReviewerInfo,
  now: Date,
): JsonPatchOperation[] {
  const start = reviewsOf(oldObject).length;
  const reviews = reviewsOf(newObject);
  const ops: JsonPatchOperation[] = [];
  for (let i = start; i < reviews.length; i++) {
    const review = reviews[i];
    if (!isPlainObject(review)) continue;
    const claimed = Object.fromEntries(Object.entries(review).filter(([k]) => !STAMPED.has(k)));
    ops.push({
      op: 'replace',
      path: `/spec/reviews/${i}`,
      value: {
        ...claimed,
        reviewer: userInfo.username,
        reviewerGroups: [...(userInfo.groups ?? [])],
        reviewedAt: now.toISOString(),
      },
    });
  }
  return ops;
}
