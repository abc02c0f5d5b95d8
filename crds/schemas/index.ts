/**
 * The four crewgate kinds: each one's schemas plus what the generated CRD needs beyond them
 * (names, short names, printer columns).
 */
import type { z } from 'zod';
import { accessPolicySpec, accessPolicyStatus } from './access-policy.js';
import { approvalRequestSpec, approvalRequestStatus } from './approval-request.js';
import { connectionSpec, connectionStatus } from './connection.js';
import { maskingRuleSpec, maskingRuleStatus } from './masking-rule.js';

export * from './common.js';
export * from './connection.js';
export * from './access-policy.js';
export * from './masking-rule.js';
export * from './approval-request.js';

export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  jsonPath: string;
  description?: string;
  priority?: number;
}

export interface KindDefinition {
  kind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  description: string;
  spec: z.ZodType;
  status: z.ZodType;
  printerColumns: PrinterColumn[];
}

const age: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };
const ready = (type: string): PrinterColumn => ({
  name: type,
  type: 'string',
  jsonPath: `.status.conditions[?(@.type=="${type}")].status`,
});

export const kinds: KindDefinition[] = [
  {
    kind: 'Connection',
    plural: 'connections',
    singular: 'connection',
    shortNames: ['cgconn'],
    description:
      'A target agents reach through the crewgate sidecar, and the Secret only the sidecar may use.',
    spec: connectionSpec,
    status: connectionStatus,
    printerColumns: [
      { name: 'Type', type: 'string', jsonPath: '.spec.type' },
      { name: 'Address', type: 'string', jsonPath: '.spec.address' },
      ready('Ready'),
      age,
    ],
  },
  {
    kind: 'AccessPolicy',
    plural: 'accesspolicies',
    singular: 'accesspolicy',
    shortNames: ['cgpol'],
    description: 'Binds subjects to connections with ordered allow / deny / require-approval rules.',
    spec: accessPolicySpec,
    status: accessPolicyStatus,
    printerColumns: [
      { name: 'Default', type: 'string', jsonPath: '.spec.defaultAction' },
      ready('Valid'),
      age,
    ],
  },
  {
    kind: 'MaskingRule',
    plural: 'maskingrules',
    singular: 'maskingrule',
    shortNames: ['cgmask'],
    description: 'Selects sensitive fields and values in results and says how the sidecar masks them.',
    spec: maskingRuleSpec,
    status: maskingRuleStatus,
    printerColumns: [{ name: 'Strategy', type: 'string', jsonPath: '.spec.strategy' }, ready('Valid'), age],
  },
  {
    kind: 'ApprovalRequest',
    plural: 'approvalrequests',
    singular: 'approvalrequest',
    shortNames: ['cgar'],
    description: 'A held command waiting for reviewers; reviewers approve or deny it with kubectl patch.',
    spec: approvalRequestSpec,
    status: approvalRequestStatus,
    printerColumns: [
      { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
      { name: 'Requester', type: 'string', jsonPath: '.spec.requester.subject' },
      { name: 'Connection', type: 'string', jsonPath: '.spec.connection' },
      { name: 'Command', type: 'string', jsonPath: '.spec.command.text' },
      age,
    ],
  },
];
