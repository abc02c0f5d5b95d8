/**
 * Pieces shared by the four crewgate CRDs. The zod schemas in this folder are the one source
 * of truth: `npm run generate` turns them into `crds/*.yaml`, and the TypeScript types the
 * operator and the sidecar use are inferred from them.
 */
import { z } from 'zod';

export const GROUP = 'crewgate.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;

/** Kubernetes object names (RFC 1123 subdomain). */
export const resourceName = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'must be a lowercase RFC 1123 name');

/** Go-style durations as Kubernetes writes them (`90s`, `10m`, `1h30m`). */
export const duration = z
  .string()
  .regex(/^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$/, 'must be a duration such as 30s, 10m or 1h30m');

export const secretKeyRef = z.strictObject({
  name: resourceName.describe('Secret in the same namespace.'),
  key: z.string().min(1).describe('Key inside the Secret.'),
});

/**
 * Who a policy or masking rule applies to. Exactly one field is set; the API server enforces it
 * with a CEL rule so a manifest that sets none or two is refused at `kubectl apply`.
 */
export const subject = z
  .strictObject({
    group: z.string().min(1).optional().describe('An OIDC group (from the configured groups claim).'),
    user: z.string().min(1).optional().describe("An OIDC subject (the token's `sub`)."),
    serviceAccount: z
      .strictObject({
        name: resourceName.describe('The service account name.'),
        namespace: resourceName.optional().describe("Defaults to the policy's own namespace."),
      })
      .optional()
      .describe('A pod identity: the service account the agent pod runs as.'),
  })
  .meta({
    'x-kubernetes-validations': [
      {
        rule: '(has(self.group) ? 1 : 0) + (has(self.user) ? 1 : 0) + (has(self.serviceAccount) ? 1 : 0) == 1',
        message: 'a subject sets exactly one of group, user or serviceAccount',
      },
    ],
  });

/** metav1.Condition, as `kubectl describe` and `kubectl wait --for=condition=` expect it. */
export const condition = z.strictObject({
  type: z
    .string()
    .min(1)
    .describe('One entry per type; which types each kind uses is in docs/operations.md.'),
  status: z.enum(['True', 'False', 'Unknown']).describe('Whether the condition holds.'),
  reason: z.string().min(1).describe('CamelCase reason.'),
  message: z.string().optional().describe('What a human needs to act on it.'),
  lastTransitionTime: z.string().describe('RFC 3339 time of the last status change.'),
  observedGeneration: z
    .number()
    .int()
    .min(0)
    .optional()
    .describe('The metadata.generation the condition was computed from.'),
});

export const conditions = z
  .array(condition)
  .max(32)
  .describe('The state the operator last observed, as metav1.Condition entries.')
  .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] });

/** The status fields every crewgate reconciler writes. */
export const reconciledStatus = {
  observedGeneration: z
    .number()
    .int()
    .min(0)
    .optional()
    .describe('The metadata.generation this status was written for; older means not yet reconciled.'),
  conditions: conditions.optional(),
};

export type Subject = z.infer<typeof subject>;
export type Condition = z.infer<typeof condition>;
