import { describe, expect, it } from 'vitest';
import { sidecarBundle } from './bundle.js';

const now = new Date('2026-12-01T10:00:00Z');
const request = (name: string, phase: string, windowEndsAt: string, scope = 'Window') => ({
  metadata: { name, namespace: 'agents' },
  spec: {
    scope,
    requester: { subject: 'agent-analyst' },
    policy: 'agents/analysts',
    rule: 'refunds',
    connection: 'shop-db',
  },
  status: { phase, windowEndsAt },
});
const bundle = (approvalRequests: object[]) =>
  sidecarBundle({
    namespace: 'agents',
    podConnections: ['shop-db'],
    connections: [],
    accessPolicies: [],
    maskingRules: [],
    approvalRequests,
    now,
  });

describe('Window grants in the bundle', () => {
  it('keeps a window in force after its first command marked the request Executed, until it ends', () => {
    const grants = bundle([
      request('approved', 'Approved', '2026-12-01T10:05:00Z'),
      request('executed', 'Executed', '2026-12-01T10:05:00Z'),
      request('ended', 'Executed', '2026-12-01T09:59:59Z'),
      request('denied', 'Denied', '2026-12-01T10:05:00Z'),
      request('once', 'Approved', '2026-12-01T10:05:00Z', 'Once'),
    ]).grants;
    expect(grants.map((g) => g.name)).toEqual(['approved', 'executed']);
    expect(grants[1]).toEqual({
      name: 'executed',
      subject: 'agent-analyst',
      policy: 'agents/analysts',
      rule: 'refunds',
      connection: 'shop-db',
      expiresAt: '2026-12-01T10:05:00Z',
    });
  });
});
