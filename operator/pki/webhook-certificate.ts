/**
 * The operator's own webhook serving certificate (no cert-manager): a CA kept in a Secret so every
 * replica serves certificates the same `caBundle` trusts, a serving certificate issued at start-up
 * for the Service's DNS names (and any extra names, e.g. 127.0.0.1 when the API server calls an
 * operator running outside the cluster), and the `caBundle` patched into the webhook configurations.
 */
import type { V1Secret } from '@kubernetes/client-node';
import { isConflict, isNotFound, type KubeClients } from '../kube/client.js';
import {
  createCertificateAuthority,
  issueCertificate,
  loadCertificateAuthority,
  toPrivateKeyPem,
  type CertificateAuthority,
  type IssuedCertificate,
} from './certificates.js';

export interface WebhookCertificateOptions {
  namespace: string;
  caSecretName: string;
  serviceName: string;
  extraDnsNames?: string[];
  extraIpAddresses?: string[];
  /** Serving certificates live this long and are renewed when a third of it is left. */
  validDays?: number;
  now?: () => Date;
}

async function loadOrCreateCa(
  clients: KubeClients,
  options: WebhookCertificateOptions,
): Promise<CertificateAuthority> {
  const { namespace, caSecretName: name } = options;
  try {
    const secret = await clients.core.readNamespacedSecret({ name, namespace });
    const cert = Buffer.from(secret.data?.['ca.crt'] ?? '', 'base64').toString('utf8');
    const key = Buffer.from(secret.data?.['ca.key'] ?? '', 'base64').toString('utf8');
    return await loadCertificateAuthority(cert, key);
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  const ca = await createCertificateAuthority(`crewgate-webhook-ca.${namespace}`, { now: options.now?.() });
  const body: V1Secret = {
    metadata: { name, namespace, labels: { 'app.kubernetes.io/part-of': 'crewgate' } },
    type: 'Opaque',
    data: {
      'ca.crt': Buffer.from(ca.certificatePem).toString('base64'),
      'ca.key': Buffer.from(await toPrivateKeyPem(ca.keys.privateKey)).toString('base64'),
    },
  };
  try {
    await clients.core.createNamespacedSecret({ namespace, body });
    return ca;
  } catch (error) {
    // Another replica created it first: use theirs, so every replica chains to one caBundle.
    if (isConflict(error)) return loadOrCreateCa(clients, options);
    throw error;
  }
}

export interface WebhookCertificate {
  ca: CertificateAuthority;
  serving: IssuedCertificate;
  /** When to issue the next serving certificate. */
  renewAt: Date;
}

export async function webhookCertificate(
  clients: KubeClients,
  options: WebhookCertificateOptions,
): Promise<WebhookCertificate> {
  const ca = await loadOrCreateCa(clients, options);
  const { serviceName: svc, namespace: ns } = options;
  const now = options.now?.() ?? new Date();
  const validDays = options.validDays ?? 90;
  const serving = await issueCertificate(ca, {
    commonName: `${svc}.${ns}.svc`,
    dnsNames: [
      svc,
      `${svc}.${ns}`,
      `${svc}.${ns}.svc`,
      `${svc}.${ns}.svc.cluster.local`,
      ...(options.extraDnsNames ?? []),
    ],
    ipAddresses: options.extraIpAddresses ?? [],
    usage: 'server',
    validDays,
    now,
  });
  return { ca, serving, renewAt: new Date(now.getTime() + (validDays * 2 * 24 * 3600 * 1000) / 3) };
}

/**
 * Writes the CA into every webhook of the named configurations, so the API server trusts us.
 * Read-modify-replace with the object's resourceVersion; a conflict (another replica, or helm)
 * is retried on a fresh read.
 */
export async function patchCaBundle(
  clients: KubeClients,
  caPem: string,
  configurations: { mutating?: string[]; validating?: string[] },
): Promise<void> {
  const caBundle = Buffer.from(caPem).toString('base64');
  const withRetry = async (update: () => Promise<void>) => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await update();
      } catch (error) {
        if (!isConflict(error) || attempt >= 4) throw error;
      }
    }
  };
  for (const name of configurations.mutating ?? []) {
    await withRetry(async () => {
      const body = await clients.admission.readMutatingWebhookConfiguration({ name });
      if ((body.webhooks ?? []).every((w) => w.clientConfig.caBundle === caBundle)) return;
      for (const w of body.webhooks ?? []) w.clientConfig.caBundle = caBundle;
      await clients.admission.replaceMutatingWebhookConfiguration({ name, body });
    });
  }
  for (const name of configurations.validating ?? []) {
    await withRetry(async () => {
      const body = await clients.admission.readValidatingWebhookConfiguration({ name });
      if ((body.webhooks ?? []).every((w) => w.clientConfig.caBundle === caBundle)) return;
      for (const w of body.webhooks ?? []) w.clientConfig.caBundle = caBundle;
      await clients.admission.replaceValidatingWebhookConfiguration({ name, body });
    });
  }
}
