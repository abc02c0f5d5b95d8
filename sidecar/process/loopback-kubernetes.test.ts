import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { sidecarPodConfigSchema } from '../../operator/injection/sidecar-pod-config.js';
import { loopbackKubernetes } from './loopback-kubernetes.js';

const certificate = {
  caPem: 'CA PEM',
  certificatePem: 'LEAF PEM',
  privateKeyPem: 'KEY PEM',
  notAfter: new Date(0),
  placeholderClient: { certificatePem: 'PLACEHOLDER CERT', privateKeyPem: 'PLACEHOLDER KEY' },
};
const config = (kubeconfig: boolean) =>
  sidecarPodConfigSchema.parse({
    apiVersion: 'crewgate.dev/v1alpha1',
    kind: 'InPodSidecarConfig',
    mode: 'env',
    connections: [
      { name: 'shop-db', type: 'postgres', listen: { port: 15432 } },
      { name: 'prod', type: 'kubernetes', listen: { port: 16443 } },
    ],
    controlPlane: { url: 'https://cp:8443', tokenFile: '/t' },
    ...(kubeconfig ? { kubeconfig: { file: '/var/run/crewgate/client/kubeconfig' } } : {}),
    recording: { spoolDir: '/s' },
    metrics: { port: 15090 },
  });

describe('loopbackKubernetes', () => {
  it('gives the kubernetes listeners the serving certificate and writes a kubeconfig trusting its CA', () => {
    const kube = loopbackKubernetes(config(true), certificate);
    expect([...kube.options.keys()]).toEqual(['prod']);
    expect(kube.options.get('prod')).toEqual({
      tls: { certificate: { pem: 'LEAF PEM' }, key: { pem: 'KEY PEM' } },
    });
    expect(kube.kubeconfig?.file).toBe('/var/run/crewgate/client/kubeconfig');
    const doc = parse(kube.kubeconfig!.text) as { clusters: { cluster: Record<string, string> }[] };
    expect(doc.clusters[0]!.cluster).toEqual({
      server: 'https://127.0.0.1:16443',
      'certificate-authority-data': Buffer.from('CA PEM').toString('base64'),
    });
    const user = (parse(kube.kubeconfig!.text) as { users: { user: Record<string, string> }[] }).users[0]!;
    expect(user.user).toEqual({
      'client-certificate-data': Buffer.from('PLACEHOLDER CERT').toString('base64'),
      'client-key-data': Buffer.from('PLACEHOLDER KEY').toString('base64'),
    });
    // The serving key goes to the listener only, never into the file.
    expect(kube.kubeconfig!.text).not.toContain('KEY PEM');
    expect(kube.kubeconfig!.text).not.toContain(Buffer.from('KEY PEM').toString('base64'));
  });

  it('serves TLS but writes no kubeconfig when the config names none (transparent mode)', () => {
    const kube = loopbackKubernetes(config(false), certificate);
    expect(kube.options.has('prod')).toBe(true);
    expect(kube.kubeconfig).toBeUndefined();
  });
});
