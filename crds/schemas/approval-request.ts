import { z } from 'zod';
import { duration, reconciledStatus } from './common.js';
import { connectionType } from './connection.js';

export const reviewDecision = z.enum(['Approve', 'Deny']);

/**
 * A reviewer adds one of these with `kubectl patch`. Only `decision` and `comment` come from the
 * reviewer; the review webhook stamps `reviewer`, `reviewerGroups` and `reviewedAt` from the API
 * server's userInfo, whatever the patch claims.
 */
export const review = z.strictObject({
  decision: reviewDecision,
  comment: z.string().max(1024).optional(),
  reviewer: z.string().optional(),
  reviewerGroups: z.array(z.string()).optional(),
  reviewedAt: z.string().optional(),
});

export const approvalPhase = z.enum(['Pending', 'Approved', 'Denied', 'Expired', 'Cancelled', 'Executed']);

export const approvalRequestSpec = z.strictObject({
  requester: z.strictObject({
    subject: z.string().min(1),
    groups: z.array(z.string()).default([]),
    serviceAccount: z.string().optional().describe('namespace/name of the pod identity.'),
    pod: z.string().optional().describe('namespace/name of the agent pod.'),
  }),
  connection: z.string().min(1),
  protocol: connectionType,
  command: z.strictObject({
    text: z.string().min(1).max(65536),
    operations: z.array(z.string()).default([]),
    resources: z.array(z.string()).default([]),
  }),
  policy: z.string().min(1),
  rule: z.string().min(1),
  approverGroups: z.array(z.string().min(1)).min(1),
  minApprovals: z.number().int().min(1).max(10).default(1),
  scope: z.enum(['Once', 'Window']).default('Once'),
  duration: duration.optional().describe('Window length when scope is Window.'),
  expiresAt: z.string().describe('RFC 3339 time after which the request expires unanswered.'),
  session: z.string().optional().describe('The recording session the command belongs to.'),
  reviews: z.array(review).max(20).default([]),
});

export const approvalRequestStatus = z.strictObject({
  ...reconciledStatus,
  phase: approvalPhase.optional(),
  approvedBy: z.array(z.string()).optional(),
  deniedBy: z.string().optional(),
  decidedAt: z.string().optional(),
  windowEndsAt: z.string().optional(),
  executedAt: z.string().optional(),
});

export type Review = z.infer<typeof review>;
export type ApprovalPhase = z.infer<typeof approvalPhase>;
export type ApprovalRequestSpec = z.infer<typeof approvalRequestSpec>;
export type ApprovalRequestStatus = z.infer<typeof approvalRequestStatus>;
