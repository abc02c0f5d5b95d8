import { afterAll, describe, expect, it } from 'vitest';
import type { ResolvedTarget } from '../adapters/protocol-adapter.js';
import { KubernetesTargetError, KubernetesUpstream, UpstreamAgents } from './upstream.js';

const agents = new UpstreamAgents();
afterAll(() => agents.destroy());
const identity = { subject: 'agent-analyst', groups: ['crewai-viewer'] };
const target = (
  spec: Partial<ResolvedTarget['spec']>,
  token: string | null = 'sa-token',
): ResolvedTarget => ({
  spec: { type: 'kubernetes', address: 'https://10.0.0.1:6443', ...spec },
  credentials: token === null ? {} : { token },
});

describe('the upstream API server of a session', () => {
  it('authenticates with the Connection token, over anything the caller passes', () => {
    const upstream = new KubernetesUpstream('c', target({}), identity, agents);
    const options = upstream.requestOptions('GET', '/api/v1/pods?limit=1', {
      authorization: 'Bearer agent-token',
      accept: 'application/json',
    });
    expect(options.path).toBe('/api/v1/pods?limit=1');
    expect(options.hostname).toBe('10.0.0.1');
    expect(options.port).toBe('6443');
    expect(options.headers).toEqual({
      accept: 'application/json',
      host: '10.0.0.1:6443',
      authorization: 'Bearer sa-token',
    });
  });

  it('impersonates the caller only when the Connection says so', () => {
    const plain = new KubernetesUpstream('c', target({}), identity, agents);
    expect(plain.impersonation).toEqual({});
    const imp = new KubernetesUpstream('c', target({ kubernetes: { impersonate: true } }), identity, agents);
    expect(imp.requestOptions('GET', '/api').headers).toMatchObject({
      'impersonate-user': 'agent-analyst',
      'impersonate-group': ['crewai-viewer'],
    });
  });

  it('keeps a path prefix of the base URL', () => {
    const upstream = new KubernetesUpstream(
      'c',
      target({ address: 'https://gw.example/k8s/' }),
      identity,
      agents,
    );
    expect(upstream.requestOptions('GET', '/api/v1/pods').path).toBe('/k8s/api/v1/pods');
    expect(upstream.requestOptions('GET', '/api/v1/pods').port).toBe(443);
  });

  it('refuses Connections it cannot use safely', () => {
    const bad: [Partial<ResolvedTarget['spec']>, string | null, RegExp][] = [
      [{ address: 'not a url' }, 'sa-token', /not a URL/],
      [{ address: 'ftp://h' }, 'sa-token', /http\(s\) URL/],
      [{ address: 'https://u:p@h' }, 'sa-token', /user info/],
      [{ tls: { mode: 'disable' } }, 'sa-token', /https:\/\/ but spec.tls.mode is disable/],
      [{ address: 'http://h', tls: { mode: 'verify-full' } }, 'sa-token', /http:\/\/ but spec.tls.mode/],
      [{}, null, /no `token` key/],
      [{}, '', /no `token` key/],
    ];
    for (const [spec, token, message] of bad)
      expect(() => new KubernetesUpstream('c', target(spec, token), identity, agents)).toThrow(
        expect.objectContaining({
          name: KubernetesTargetError.name,
          message: expect.stringMatching(message),
        }),
      );
  });
});
