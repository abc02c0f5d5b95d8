import { describe, expect, it } from 'vitest';
import type { InjectionGrants } from './grants.js';
import { assignListenPorts } from './listen-ports.js';
import { parseConnectionsAnnotation, resolveConnections } from './requested-connections.js';

describe('parseConnectionsAnnotation', () => {
  it.each([
    [undefined, []],
    ['', []],
    [' , ,', []],
    ['a', ['a']],
    [' a , b,a ,, c ', ['a', 'b', 'c']],
  ])('%j', (value, names) => {
    expect(parseConnectionsAnnotation(value)).toEqual(names);
  });
});

describe('resolveConnections', () => {
  const grants: InjectionGrants = {
    connections: {
      db: { type: 'postgres', address: '10.0.0.5', port: 5432 },
      kube: { type: 'kubernetes', address: '10.96.0.1', port: 443 },
    },
    grantedTo: (c, sa) => c === 'db' && sa === 'default',
  };
  const pod = (connections: string, serviceAccountName?: string) => ({
    metadata: { name: 'p', annotations: { 'crewgate.dev/connections': connections } },
    spec: { containers: [], ...(serviceAccountName ? { serviceAccountName } : {}) },
  });

  it('defaults the service account to default', () => {
    expect(resolveConnections(pod('db'), grants)).toEqual({
      ok: true,
      connections: [{ name: 'db', type: 'postgres', address: '10.0.0.5', port: 5432 }],
    });
  });

  it('names every problem in one message', () => {
    const r = resolveConnections(pod('db,kube,nope,toString', 'crew'), grants);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.message).toContain('no AccessPolicy grants Connection "db" to service account "crew"');
    expect(r.message).toContain('no AccessPolicy grants Connection "kube"');
    expect(r.message).toContain('Connection "nope" does not exist');
    expect(r.message).toContain('Connection "toString" does not exist');
  });
});

describe('assignListenPorts', () => {
  const c = (name: string, type: 'postgres' | 'kubernetes' | 'ssh' | 'http') => ({
    name,
    type,
    address: '10.0.0.1',
    port: 1,
  });
  it('gives each type its base port and one up per further connection, skipping reserved ports', () => {
    const ports = assignListenPorts(
      [
        c('a', 'postgres'),
        c('k', 'kubernetes'),
        c('b', 'postgres'),
        c('s', 'ssh'),
        c('h', 'http'),
        c('c', 'postgres'),
      ],
      [15433, 2222],
    ).map((l) => [l.name, l.listenPort]);
    expect(ports).toEqual([
      ['a', 15432],
      ['k', 16443],
      ['b', 15434],
      ['s', 2223],
      ['h', 18080],
      ['c', 15435],
    ]);
  });
});
