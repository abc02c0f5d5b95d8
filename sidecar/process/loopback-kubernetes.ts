/**
 * What an in-pod sidecar needs for its kubernetes listeners: each one's `tls` listener options
 * (the loopback certificate, handed to the adapter as PEM in memory) and, when the config names a
 * kubeconfig file (env mode), that file's text — `https://127.0.0.1:<port>` per listener with the
 * one-off CA as `certificate-authority-data` and the placeholder client certificate that keeps
 * kubectl from prompting (loopback-tls.ts). Pure: the certificate is made by the caller.
 */
import { renderKubeconfig } from '../../operator/injection/kubeconfig.js';
import type { InPodConfig } from '../config.js';
import type { LoopbackCertificate } from './loopback-tls.js';

export interface LoopbackKubernetes {
  /** Listener options by connection name, for the kubernetes connections only. */
  options: Map<string, { tls: { certificate: { pem: string }; key: { pem: string } } }>;
  kubeconfig?: { file: string; text: string };
}

export function loopbackKubernetes(
  config: InPodConfig,
  certificate: LoopbackCertificate,
): LoopbackKubernetes {
  const kube = config.connections.filter((c) => c.type === 'kubernetes');
  const tls = {
    certificate: { pem: certificate.certificatePem },
    key: { pem: certificate.privateKeyPem },
  };
  const options = new Map(kube.map((c) => [c.name, { tls }] as const));
  const text = renderKubeconfig(
    kube.map((c) => ({ name: c.name, type: c.type, listenPort: c.listen.port })),
    { certificateAuthorityPem: certificate.caPem, placeholderClient: certificate.placeholderClient },
  );
  return {
    options,
    ...(config.kubeconfig !== undefined && text !== undefined
      ? { kubeconfig: { file: config.kubeconfig.file, text } }
      : {}),
  };
}
