import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { renderKubeconfig } from './kubeconfig.js';

const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const listeners = [
  { name: 'shop-db', type: 'postgres', listenPort: 15432 },
  { name: 'prod', type: 'kubernetes', listenPort: 16443 },
  { name: 'staging', type: 'kubernetes', listenPort: 16444 },
];

interface Kubeconfig {
  clusters: { name: string; cluster: Record<string, string> }[];
  users: { name: string; user: Record<string, unknown> }[];
  'current-context': string;
}

describe('renderKubeconfig', () => {
  it('points every kubernetes listener at https on loopback, trusting the given CA, with no credential', () => {
    const text = renderKubeconfig(listeners, { certificateAuthorityPem: CA })!;
    const doc = parse(text) as Kubeconfig;
    expect(doc.clusters).toEqual([
      {
        name: 'prod',
        cluster: {
          server: 'https://127.0.0.1:16443',
          'certificate-authority-data': Buffer.from(CA).toString('base64'),
        },
      },
      {
        name: 'staging',
        cluster: {
          server: 'https://127.0.0.1:16444',
          'certificate-authority-data': Buffer.from(CA).toString('base64'),
        },
      },
    ]);
    expect(doc.users).toEqual([{ name: 'crewgate', user: {} }]);
    expect(doc['current-context']).toBe('prod');
    expect(text).not.toContain('insecure-skip-tls-verify');
  });

  it('puts the placeholder client certificate into the user, base64 as kubeconfig data fields', () => {
    const doc = parse(
      renderKubeconfig(listeners, {
        certificateAuthorityPem: CA,
        placeholderClient: { certificatePem: 'CERT', privateKeyPem: 'KEY' },
      })!,
    ) as Kubeconfig;
    expect(doc.users).toEqual([
      {
        name: 'crewgate',
        user: {
          'client-certificate-data': Buffer.from('CERT').toString('base64'),
          'client-key-data': Buffer.from('KEY').toString('base64'),
        },
      },
    ]);
  });

  it('is plain http without a CA (a standalone listener that asked for it)', () => {
    const doc = parse(renderKubeconfig(listeners)!) as Kubeconfig;
    expect(doc.clusters.map((c) => c.cluster)).toEqual([
      { server: 'http://127.0.0.1:16443' },
      { server: 'http://127.0.0.1:16444' },
    ]);
  });

  it('is undefined without a kubernetes listener', () => {
    expect(renderKubeconfig(listeners.slice(0, 1), { certificateAuthorityPem: CA })).toBeUndefined();
  });
});
