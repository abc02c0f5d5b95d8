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
  decision: reviewDecision.describe('Approve or Deny; the first decisive review wins, and a Deny denies.'),
  comment: z.string().max(1024).optional().describe('Why, for the audit trail.'),
  reviewer: z.string().optional().describe('Stamped by the review webhook from the API server userInfo.'),
  reviewerGroups: z
    .array(z.string())
    .optional()
    .describe("Stamped by the review webhook: the reviewer's groups at review time."),
  reviewedAt: z.string().optional().describe('Stamped by the review webhook: RFC 3339 time of the review.'),
});

export const approvalPhase = z.enum(['Pending', 'Approved', 'Denied', 'Expired', 'Cancelled', 'Executed']);

export const approvalRequestSpec = z.strictObject({
  requester: z
    .strictObject({
      subject: z
        .string()
        .min(1)
        .describe('The verified subject (token `sub`) of the agent that sent the command.'),
      groups: z.array(z.string()).default([]).describe('Its verified groups.'),
      serviceAccount: z.string().optional().describe('namespace/name of the pod identity.'),
      pod: z.string().optional().describe('namespace/name of the agent pod.'),
    })
    .describe('Who asks: the identity the sidecar verified, not what the agent claims.'),
  connection: z.string().min(1).describe('The Connection the command is for.'),
  protocol: connectionType.describe('The protocol the command was sent in.'),
  command: z
    .strictObject({
      text: z.string().min(1).max(65536).describe('The command as the agent sent it.'),
      operations: z.array(z.string()).default([]).describe('Its normalised operations.'),
      resources: z.array(z.string()).default([]).describe('What it touches.'),
    })
    .describe('The held command, as classified.'),
  policy: z.string().min(1).describe('namespace/name of the AccessPolicy whose rule held it.'),
  rule: z.string().min(1).describe('The name of that rule.'),
  approverGroups: z
    .array(z.string().min(1))
    .min(1)
    .describe('Groups whose members may review, copied from the rule.'),
  minApprovals: z.number().int().min(1).max(10).default(1).describe('Distinct approving reviewers needed.'),
  scope: z
    .enum(['Once', 'Window'])
    .default('Once')
    .describe('Once releases this command; Window grants the rule to the requester for `duration`.'),
  duration: duration.optional().describe('Window length when scope is Window.'),
  expiresAt: z.string().describe('RFC 3339 time after which the request expires unanswered.'),
  session: z.string().optional().describe('The recording session the command belongs to.'),
  reviews: z
    .array(review)
    .max(20)
    .default([])
    .describe('Reviewers append here with kubectl patch; the only part of the spec a reviewer changes.'),
});

export const approvalRequestStatus = z.strictObject({
  ...reconciledStatus,
  phase: approvalPhase
    .optional()
    .describe(
      'Pending until decided; Executed once the sidecar ran an approved command; Cancelled when the agent went away.',
    ),
  approvedBy: z.array(z.string()).optional().describe('Distinct reviewers who approved so far.'),
  deniedBy: z
    .string()
    .optional()
    .describe('The reviewer who denied (crewgate-operator for an unreadable spec).'),
  decidedAt: z.string().optional().describe('RFC 3339 time the phase left Pending.'),
  windowEndsAt: z.string().optional().describe('Window scope: RFC 3339 time the grant ends.'),
  executedAt: z.string().optional().describe('RFC 3339 time the sidecar reported the command run.'),
});

export type Review = z.infer<typeof review>;
export type ApprovalPhase = z.infer<typeof approvalPhase>;
export type ApprovalRequestSpec = z.infer<typeof approvalRequestSpec>;
export type ApprovalRequestStatus = z.infer<typeof approvalRequestStatus>;
