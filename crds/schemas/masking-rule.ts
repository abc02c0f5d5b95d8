import { z } from 'zod';
import { reconciledStatus, secretKeyRef, subject } from './common.js';

export const detector = z.enum([
  'creditCard',
  'email',
  'phone',
  'usSsn',
  'iban',
  'jwt',
  'awsAccessKey',
  'pemPrivateKey',
]);

export const fieldSelector = z
  .strictObject({
    column: z
      .string()
      .min(1)
      .optional()
      .describe('A result column: `email` anywhere, or `customers.email` for one table.'),
    jsonPath: z
      .string()
      .min(1)
      .optional()
      .describe('A JSON path into HTTP or Kubernetes bodies: `$.user.email`.'),
    kubernetes: z
      .enum(['secretData'])
      .optional()
      .describe('secretData: every value of a Secret `data`/`stringData`.'),
  })
  .meta({
    'x-kubernetes-validations': [
      {
        rule: '(has(self.column) ? 1 : 0) + (has(self.jsonPath) ? 1 : 0) + (has(self.kubernetes) ? 1 : 0) == 1',
        message: 'a field selector sets exactly one of column, jsonPath or kubernetes',
      },
    ],
  });

export const customPattern = z.strictObject({
  name: z.string().min(1).describe('Named in recordings as the reason a value was masked.'),
  regex: z
    .string()
    .min(1)
    .describe('Linear-time regular expression: no backreferences or lookarounds (refused at apply time).'),
});

export const maskingStrategy = z.enum(['redact', 'partial', 'hash']);

export const maskingRuleSpec = z.strictObject({
  subjects: z.array(subject).max(100).default([]).describe('Whom the rule masks for; empty means everyone.'),
  fields: z.array(fieldSelector).max(100).default([]).describe('Fields masked by name, whatever they hold.'),
  detectors: z
    .array(detector)
    .max(16)
    .default([])
    .describe('Values masked by content, wherever they appear.'),
  patterns: z
    .array(customPattern)
    .max(50)
    .default([])
    .describe('Your own detectors: values matching a regex are masked wherever they appear.'),
  strategy: maskingStrategy
    .default('redact')
    .describe(
      'redact replaces the value; partial keeps the last `keepLast` characters; hash writes an HMAC.',
    ),
  keepLast: z
    .number()
    .int()
    .min(0)
    .max(16)
    .default(4)
    .describe('partial: how many trailing characters to keep.'),
  hashKeyRef: secretKeyRef.optional().describe('hash: the HMAC key, so equal values still join.'),
});

export const maskingRuleStatus = z.strictObject({ ...reconciledStatus });

export type Detector = z.infer<typeof detector>;
export type FieldSelector = z.infer<typeof fieldSelector>;
export type MaskingRuleSpec = z.infer<typeof maskingRuleSpec>;
export type MaskingRuleStatus = z.infer<typeof maskingRuleStatus>;
