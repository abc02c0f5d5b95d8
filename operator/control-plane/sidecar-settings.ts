/**
 * What an in-pod sidecar needs besides its bundle, served by `GET /v1/settings`: who it is (from
 * the verified token and the pod), which issuers' tokens to trust (the operator's setting, CA PEMs
 * read once at start), and the recording store with the insert-only role's login (from the store
 * Secret, read per request). The sidecar holds all of it in memory only.
 */
import { readFileSync } from 'node:fs';
import type { OperatorConfig } from '../config.js';
import type { KubeClients } from '../kube/client.js';
import { readStoreLogins } from '../recording-store/store-secret.js';
import type { SidecarIdentity } from './sidecar-identity.js';

export interface SidecarSettings {
  workload: { namespace: string; serviceAccount: string; pod: string };
  issuers: {
    issuer: string;
    audiences: string[];
    kind: 'oidc' | 'kubernetes';
    groupsClaim?: string;
    clockSkewSeconds?: number;
    caCertificates?: string[];
  }[];
  /** Null when the operator has no store configured: the sidecar then refuses every command. */
  recording: {
    host: string;
    port: number;
    database: string;
    user: string;
    password: string;
    tls: { mode: 'disable' | 'require' | 'verify-full'; caCertificates?: string[]; serverName?: string };
  } | null;
}

export type SidecarSettingsSource = (who: SidecarIdentity) => Promise<SidecarSettings>;

export function sidecarSettingsSource(
  clients: KubeClients,
  config: Pick<OperatorConfig, 'namespace' | 'oidcIssuers' | 'recordingStore'>,
): SidecarSettingsSource {
  // Read at start-up: an unreadable CA file stops the operator instead of breaking sidecars later.
  const issuers = config.oidcIssuers.map(({ caFile, ...issuer }) => ({
    ...issuer,
    ...(caFile ? { caCertificates: [readFileSync(caFile, 'utf8')] } : {}),
  }));
  const store = config.recordingStore;
  const storeCa = store?.tls.caFile ? [readFileSync(store.tls.caFile, 'utf8')] : undefined;
  return async (who) => {
    let recording: SidecarSettings['recording'] = null;
    if (store) {
      const logins = await readStoreLogins(clients, config.namespace, store.secretName);
      recording = {
        host: store.host,
        port: store.port,
        database: store.database,
        user: logins.sidecar.user,
        password: logins.sidecar.password,
        tls: {
          mode: store.tls.mode,
          ...(storeCa ? { caCertificates: storeCa } : {}),
          ...(store.tls.serverName ? { serverName: store.tls.serverName } : {}),
        },
      };
    }
    return {
      workload: {
        namespace: who.namespace,
        serviceAccount: who.serviceAccount,
        pod: who.pod.metadata?.name ?? '',
      },
      issuers,
      recording,
    };
  };
}
