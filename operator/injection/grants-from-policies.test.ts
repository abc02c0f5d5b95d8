import { describe, expect, it } from 'vitest';
import { connectionSpec } from '../../crds/schemas/connection.js';
import { compilePolicy, type CompiledPolicy } from '../../sidecar/policy/index.js';
import { grantsFromPolicies } from './grants-from-policies.js';

function policy(namespace: string, spec: unknown): CompiledPolicy {
  const r = compilePolicy({ namespace, name: 'p' }, spec);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.policy;
}
const conn = (name: string, spec: Record<string, unknown>, namespace = 'agents') => ({
  name,
  namespace,
  spec: connectionSpec.parse({ credentialsRef: { name: 's' }, ...spec }),
});

describe('grantsFromPolicies', () => {
  const grants = grantsFromPolicies(
    'agents',
    [
      conn('db', { type: 'postgres', address: 'db.data.svc:5432', database: 'reporting' }),
      conn('cluster', { type: 'kubernetes', address: 'https://10.96.0.1' }),
      conn('broken', { type: 'http', address: 'http://' }),
      conn('elsewhere', { type: 'postgres', address: 'x:1' }, 'other'),
    ],
    [
      policy('agents', { subjects: [{ serviceAccount: { name: 'research-crew' } }], connections: ['db'] }),
      policy('agents', { subjects: [{ group: 'system:serviceaccounts:agents' }], connections: ['cluster'] }),
      policy('agents', { subjects: [{ group: 'crewai-viewer' }], connections: ['db', 'cluster'] }),
      policy('other', {
        subjects: [{ serviceAccount: { name: 'research-crew', namespace: 'agents' } }],
        connections: ['broken'],
      }),
    ],
  );

  it('reads connection targets and reports unusable ones', () => {
    expect(grants.connections).toEqual({
      db: { type: 'postgres', address: 'db.data.svc', port: 5432, database: 'reporting' },
      cluster: { type: 'kubernetes', address: '10.96.0.1', port: 443 },
    });
    expect(Object.keys(grants.unusable ?? {})).toEqual(['broken']);
  });

  it.each([
    ['db', 'research-crew', true],
    ['db', 'other-crew', false],
    ['cluster', 'anyone', true],
    ['broken', 'research-crew', false],
  ])('%s granted to %s: %s', (connection, sa, granted) => {
    expect(grants.grantedTo(connection, sa)).toBe(granted);
  });
});
