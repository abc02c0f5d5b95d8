import { z } from 'zod';
import { duration, reconciledStatus, resourceName, subject } from './common.js';

export const action = z.enum(['Allow', 'Deny', 'RequireApproval']);

/**
 * Attribute values are strings or booleans (`privilegedPod: true`). A structural schema cannot say
 * "string or boolean" and CEL cannot type an untyped node, so the generator emits an untyped value
 * and the operator's validating webhook (which parses with this schema) refuses anything else.
 */
const attributeValue = z.union([z.string(), z.boolean()]);

export const ruleMatch = z.strictObject({
  operations: z
    .array(z.string().min(1))
    .max(100)
    .optional()
    .describe('Normalised operations (select, insert, ddl.drop, exec, http.get, shell...); globs allowed.'),
  resources: z
    .array(z.string().min(1))
    .max(100)
    .optional()
    .describe('Tables, pods/exec, namespace/pod/container, URL paths; globs allowed.'),
  text: z
    .array(z.string().min(1))
    .max(100)
    .optional()
    .describe('Globs over the command text, case-insensitive.'),
  attributes: z
    .record(z.string(), attributeValue)
    .optional()
    .describe('Every attribute named must equal the given value (privilegedPod, tty, database...).'),
});

export const approvalSettings = z.strictObject({
  approverGroups: z.array(z.string().min(1)).min(1).max(20).describe('Groups whose members may review.'),
  minApprovals: z.number().int().min(1).max(10).default(1).describe('Distinct reviewers needed.'),
  timeout: duration.default('10m').describe('How long a request waits before it expires.'),
  scope: z
    .enum(['Once', 'Window'])
    .default('Once')
    .describe('Once releases one command; Window grants the same rule to the same requester for `duration`.'),
  duration: duration.optional().describe('Window length for scope Window.'),
  maxDuration: duration.default('8h').describe('Upper bound for any window granted under this rule.'),
});

export const policyRule = z
  .strictObject({
    name: z.string().min(1).max(63).describe('Named in denials, approvals and recordings.'),
    match: ruleMatch.describe('Every field given must match; an empty match matches every command.'),
    action: action.describe('What a matching command gets. RequireApproval holds it for reviewers.'),
    enforce: z
      .boolean()
      .default(true)
      .describe('false: observe only. The decision is recorded as "would deny" and the command allowed.'),
    approval: approvalSettings
      .optional()
      .describe('Who reviews, and for how long; required for RequireApproval.'),
  })
  .meta({
    'x-kubernetes-validations': [
      {
        rule: "self.action != 'RequireApproval' || has(self.approval)",
        message: 'a RequireApproval rule needs approval settings',
      },
    ],
  });

export const accessPolicySpec = z.strictObject({
  subjects: z.array(subject).min(1).max(100).describe('Who this policy applies to.'),
  connections: z
    .array(resourceName)
    .min(1)
    .max(100)
    .describe('Connections (same namespace) the subjects may use.'),
  rules: z.array(policyRule).max(200).default([]).describe('Ordered; the first matching rule decides.'),
  masking: z
    .array(resourceName)
    .max(50)
    .default([])
    .describe('MaskingRules applied to results under this policy.'),
  defaultAction: z.enum(['Allow', 'Deny']).default('Deny').describe('What happens when no rule matches.'),
});

export const accessPolicyStatus = z.strictObject({
  ...reconciledStatus,
  coveredConnections: z.array(z.string()).optional().describe('The connections the compiled policy covers.'),
  coveredSubjects: z
    .array(z.string())
    .optional()
    .describe('The subjects it covers, as group:, user: or serviceAccount:namespace/name.'),
});

export type Action = z.infer<typeof action>;
export type RuleMatch = z.infer<typeof ruleMatch>;
export type ApprovalSettings = z.infer<typeof approvalSettings>;
export type PolicyRule = z.infer<typeof policyRule>;
export type AccessPolicySpec = z.infer<typeof accessPolicySpec>;
export type AccessPolicyStatus = z.infer<typeof accessPolicyStatus>;
