import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { createCertificateAuthority, issueCertificate } from '../../operator/pki/certificates.js';
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
    expect(options.host).toBe('10.0.0.1');
    expect(options.port).toBe(6443);
    expect(options.ca).toBeUndefined();
    expect(options.rejectUnauthorized).toBe(true);
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

  it('gives a socket of its own the same TLS trust, SNI for names only', () => {
    const pinned = new KubernetesUpstream(
      'c',
      { ...target({ address: 'https://api.example:6443' }), caCertificates: ['PEM'] },
      identity,
      agents,
    );
    expect(pinned.socketOptions()).toEqual({
      host: 'api.example',
      port: 6443,
      ca: ['PEM'],
      servername: 'api.example',
      rejectUnauthorized: true,
      ALPNProtocols: ['http/1.1'],
    });
    expect(new KubernetesUpstream('c', target({}), identity, agents).socketOptions()).not.toHaveProperty(
      'servername',
    );
    expect(
      new KubernetesUpstream(
        'c',
        target({ address: 'http://127.0.0.1:8080', tls: { mode: 'disable' } }),
        identity,
        agents,
      ).socketOptions(),
    ).toEqual({ host: '127.0.0.1', port: 8080 });
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

describe('connections to the API server', () => {
  it('reuses one TLS connection for a session’s sequential requests, and for the next session', async () => {
    const ca = await createCertificateAuthority('upstream-test-ca');
    const serving = await issueCertificate(ca, {
      commonName: 'apiserver',
      ipAddresses: ['127.0.0.1'],
      usage: 'server',
    });
    let handshakes = 0;
    const body = Buffer.alloc(256 * 1024, 'x');
    const server = createHttpsServer(
      { key: serving.privateKeyPem, cert: serving.certificatePem },
      (req, res) => {
        expect(req.headers.authorization).toBe('Bearer sa-token');
        res.end(body);
      },
    );
    server.on('secureConnection', () => handshakes++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const own = new UpstreamAgents();
    try {
      const port = (server.address() as AddressInfo).port;
      const resolved = {
        ...target({ address: `https://127.0.0.1:${port}` }),
        caCertificates: [ca.certificatePem],
      };
      for (let session = 0; session < 2; session++) {
        // A new KubernetesUpstream per request, as the request handler builds them.
        for (let i = 0; i < 5; i++) {
          const upstream = new KubernetesUpstream('c', resolved, identity, own);
          const r = await upstream.request('GET', '/api/v1/namespaces/x/configmaps');
          expect(r.status).toBe(200);
          expect(r.body.length).toBe(body.length);
        }
      }
      expect(handshakes).toBe(1);
    } finally {
      own.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
