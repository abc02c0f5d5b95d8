import { X509Certificate } from 'node:crypto';
import { connect, createServer, type Server } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { issueLoopbackCertificate } from './loopback-tls.js';

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

/** Serves the certificate on 127.0.0.1 and connects with `ca` as the only trust; the verify error or 'ok'. */
async function handshake(
  served: { certificatePem: string; privateKeyPem: string },
  ca: string,
  servername?: string,
): Promise<string> {
  server = createServer({ cert: served.certificatePem, key: served.privateKeyPem }, (s) => s.end());
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as { port: number };
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, ca, ...(servername ? { servername } : {}) }, () => {
      socket.end();
      resolve('ok');
    });
    socket.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

describe('issueLoopbackCertificate', () => {
  it('is verified for 127.0.0.1 by a client that trusts only its CA', async () => {
    const cert = await issueLoopbackCertificate();
    expect(await handshake(cert, cert.caPem)).toBe('ok');
  });

  it('is refused by a client that trusts another pod’s CA', async () => {
    const [mine, theirs] = await Promise.all([issueLoopbackCertificate(), issueLoopbackCertificate()]);
    expect(mine.caPem).not.toBe(theirs.caPem);
    expect(await handshake(mine, theirs.caPem)).toMatch(/UNABLE_TO_VERIFY|SELF_SIGNED|unable to verify/i);
  });

  it('names the loopback addresses only, as a server certificate of a separate CA', async () => {
    const now = new Date('2026-12-01T00:00:00Z');
    const cert = await issueLoopbackCertificate({ now, validDays: 30 });
    const leaf = new X509Certificate(cert.certificatePem);
    const ca = new X509Certificate(cert.caPem);
    expect(leaf.subjectAltName?.split(', ').sort()).toEqual(
      ['DNS:localhost', 'IP Address:0:0:0:0:0:0:0:1', 'IP Address:127.0.0.1'].sort(),
    );
    expect(leaf.ca).toBe(false);
    expect(leaf.keyUsage).toEqual(expect.arrayContaining(['1.3.6.1.5.5.7.3.1']));
    expect(ca.ca).toBe(true);
    expect(leaf.checkIssued(ca)).toBe(true);
    expect(leaf.verify(ca.publicKey)).toBe(true);
    expect(new Date(leaf.validTo).getTime()).toBe(now.getTime() + 30 * 86_400_000);
    expect(cert.notAfter.getTime()).toBe(now.getTime() + 30 * 86_400_000);
    expect(leaf.checkHost('crewgate.example.com')).toBeUndefined();
    // Only the serving key comes back: the CA can sign nothing after this call.
    expect(Object.keys(cert).sort()).toEqual([
      'caPem',
      'certificatePem',
      'notAfter',
      'placeholderClient',
      'privateKeyPem',
    ]);
    expect(cert.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
  });

  it('makes a placeholder client certificate that the loopback CA did not sign and that serves no one', async () => {
    const cert = await issueLoopbackCertificate();
    const placeholder = new X509Certificate(cert.placeholderClient.certificatePem);
    const ca = new X509Certificate(cert.caPem);
    expect(placeholder.subject).toBe('CN=crewgate-no-credential');
    expect(placeholder.checkIssued(ca)).toBe(false);
    expect(placeholder.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
    expect(cert.placeholderClient.privateKeyPem).not.toBe(cert.privateKeyPem);
  });

  it('is verified by name for localhost as well', async () => {
    const cert = await issueLoopbackCertificate();
    expect(await handshake(cert, cert.caPem, 'localhost')).toBe('ok');
  });
});
