/**
 * Kubeconfigs for the harness's API server: the admin's, and any user's or group's by client
 * certificate (Kubernetes reads CN as the user name and each O as a group), so tests can act as a
 * reviewer in group `dba` or as anyone else the API server should see.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { issueCertificate, loadCertificateAuthority } from '../../operator/pki/certificates.js';

export interface KubeconfigCredentials {
  server: string;
  caCertificatePem: string;
  user: string;
  clientCertificatePem?: string;
  clientKeyPem?: string;
  token?: string;
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

export function renderKubeconfig(c: KubeconfigCredentials): string {
  const user: Record<string, string> = {};
  if (c.clientCertificatePem) user['client-certificate-data'] = b64(c.clientCertificatePem);
  if (c.clientKeyPem) user['client-key-data'] = b64(c.clientKeyPem);
  if (c.token) user.token = c.token;
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'crewgate-harness',
        cluster: { server: c.server, 'certificate-authority-data': b64(c.caCertificatePem) },
      },
    ],
    users: [{ name: c.user, user }],
    contexts: [{ name: c.user, context: { cluster: 'crewgate-harness', user: c.user } }],
    'current-context': c.user,
  });
}

/** What a test needs to mint identities on the harness's API server; plain data, so it crosses workers. */
export interface ControlPlaneAccess {
  server: string;
  caCertificateFile: string;
  clientCaCertificateFile: string;
  clientCaKeyFile: string;
}

/** Writes a kubeconfig for `user` in `groups`, authenticated by a fresh client certificate. */
export async function writeUserKubeconfig(
  access: ControlPlaneAccess,
  user: string,
  groups: string[] = [],
  dir = mkdtempSync(join(tmpdir(), 'crewgate-kubeconfig-')),
): Promise<string> {
  const ca = await loadCertificateAuthority(
    readFileSync(access.clientCaCertificateFile, 'utf8'),
    readFileSync(access.clientCaKeyFile, 'utf8'),
  );
  const cert = await issueCertificate(ca, {
    commonName: user,
    organizations: groups,
    usage: 'client',
    validDays: 1,
  });
  const path = join(dir, `${user.replace(/[^a-zA-Z0-9_.-]/g, '_')}.kubeconfig`);
  writeFileSync(
    path,
    renderKubeconfig({
      server: access.server,
      caCertificatePem: readFileSync(access.caCertificateFile, 'utf8'),
      user,
      clientCertificatePem: cert.certificatePem,
      clientKeyPem: cert.privateKeyPem,
    }),
    { mode: 0o600 },
  );
  return path;
}
