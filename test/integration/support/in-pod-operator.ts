/**
 * What an operator needs so that in-pod sidecars can run: the issuers to trust (the harness IdP)
 * and a recording store it provisions itself (a PostgreSQL of the caller's own, its superuser as
 * the admin login, a fresh insert-only sidecar login), as the settings and store Secret that
 * `startLocalOperator` takes. The demo can use the same two values.
 */
import { randomBytes } from 'node:crypto';
import type { OidcInfo } from '../../harness/oidc.js';
import type { PostgresInfo } from '../../harness/postgres.js';

export const STORE_SECRET = 'crewgate-recording-store';

export interface InPodOperatorSettings {
  env: Record<string, string>;
  secrets: Record<string, Record<string, string>>;
  sidecarLogin: { user: string; password: string };
}

export function inPodOperatorSettings(
  oidc: Pick<OidcInfo, 'issuer' | 'audience' | 'caCertificateFile'>,
  /** A private PostgreSQL (startPrivatePostgres) or the harness's own (the demo). */
  store: { info: Pick<PostgresInfo, 'host' | 'port' | 'superuser' | 'caCertificateFile'> },
): InPodOperatorSettings {
  const sidecarLogin = { user: 'crewgate_sidecar', password: randomBytes(12).toString('hex') };
  return {
    env: {
      CREWGATE_OIDC_ISSUERS: JSON.stringify([
        { issuer: oidc.issuer, audiences: [oidc.audience], caFile: oidc.caCertificateFile },
      ]),
      CREWGATE_RECORDING_STORE: JSON.stringify({
        host: store.info.host,
        port: store.info.port,
        tls: { mode: 'verify-full', caFile: store.info.caCertificateFile },
        secretName: STORE_SECRET,
      }),
    },
    secrets: {
      [STORE_SECRET]: {
        'admin-username': store.info.superuser.user,
        'admin-password': store.info.superuser.password,
        'sidecar-username': sidecarLogin.user,
        'sidecar-password': sidecarLogin.password,
      },
    },
    sidecarLogin,
  };
}
