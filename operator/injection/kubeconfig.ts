/**
 * The kubeconfig an app container's kubectl (or client-go, or the Python client) reads through
 * `KUBECONFIG` in env mode: one cluster per kubernetes connection, each the sidecar's loopback
 * listener, and no credentials at all. The agent may add its own OIDC token (`kubectl --token`, a
 * `token`/`tokenFile` of its own); the sidecar holds whatever the target cluster needs.
 *
 * With the CA of the listener's serving certificate the server is `https://`: client-go attaches a
 * bearer token only to TLS connections (kubernetes/kubectl#744), so without TLS the agent's own
 * token never reaches the sidecar and every call runs as the pod's workload identity. The in-pod
 * sidecar renders it with its freshly generated CA (sidecar/process/loopback-tls.ts) and writes it
 * into the kubeconfig volume; without a CA (a standalone sidecar asked for plain HTTP) it is
 * `http://`. `insecure-skip-tls-verify` is never written.
 *
 * `placeholderClient` fills the user entry of the https form: kubectl would otherwise prompt for a
 * username on stdin (sidecar/process/loopback-tls.ts says why it is never sent).
 */
import { stringify } from 'yaml';
import { LOOPBACK } from './constants.js';

/** What the kubeconfig needs of a listener (the injector's `Listener` or the sidecar's config entry). */
export interface KubeconfigListener {
  name: string;
  type: string;
  listenPort: number;
}

/**
 * A kubeconfig for the kubernetes listeners; the first one is the current context. Undefined when
 * none. `certificateAuthorityPem` (the loopback CA) makes every server `https://` and trusted by it.
 */
export function renderKubeconfig<L extends KubeconfigListener>(
  listeners: readonly L[],
  options: {
    certificateAuthorityPem?: string;
    placeholderClient?: { certificatePem: string; privateKeyPem: string };
  } = {},
): string | undefined {
  const kube = listeners.filter((l) => l.type === 'kubernetes');
  const first = kube[0];
  if (first === undefined) return undefined;
  const ca = options.certificateAuthorityPem;
  const cluster = (l: KubeconfigListener) =>
    ca === undefined
      ? { server: `http://${LOOPBACK}:${l.listenPort}` }
      : {
          server: `https://${LOOPBACK}:${l.listenPort}`,
          'certificate-authority-data': Buffer.from(ca, 'utf8').toString('base64'),
        };
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: kube.map((l) => ({ name: l.name, cluster: cluster(l) })),
    users: [{ name: 'crewgate', user: placeholderUser(options.placeholderClient) }],
    contexts: kube.map((l) => ({ name: l.name, context: { cluster: l.name, user: 'crewgate' } })),
    'current-context': first.name,
    preferences: {},
  };
  return stringify(doc, { lineWidth: 0 });
}

function placeholderUser(client: { certificatePem: string; privateKeyPem: string } | undefined) {
  if (client === undefined) return {};
  const b64 = (pem: string) => Buffer.from(pem, 'utf8').toString('base64');
  return {
    'client-certificate-data': b64(client.certificatePem),
    'client-key-data': b64(client.privateKeyPem),
  };
}
