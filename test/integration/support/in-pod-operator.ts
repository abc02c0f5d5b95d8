/**
 * What an operator needs so that in-pod sidecars can run: the issuers to trust (the harness IdP)
 * and a recording store it provisions itself (a PostgreSQL of the caller's own, its superuser as
 * the admin login, a fresh insert-only sidecar login), as the settings and store Secret that
 * `startLocalOperator` takes. The demo can use the same two values.
 */
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { HarnessInfo } from '../../harness/index.js';
import type { OidcInfo } from '../../harness/oidc.js';
import type { PostgresInfo } from '../../harness/postgres.js';
import { startPrivatePostgres } from '../../harness/private-postgres.js';
import { kubectl } from '../../harness/run.js';
import { startInPodSidecar, type InPodSidecar, type InPodSidecarOptions } from './in-pod-sidecar.js';
import { startLocalOperator, type LocalOperator } from './local-operator.js';
import { allStoredEvents, asStoreAdmin, type StoredEventRow } from './recording-store.js';

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

export interface InPodOperator {
  /** The PostgreSQL the operator provisioned its recording store on. */
  store: Awaited<ReturnType<typeof startPrivatePostgres>>;
  local: LocalOperator;
  /** Runs `f` as the store's superuser on the recording database. */
  asStoreAdmin<T>(f: (client: pg.Client) => Promise<T>): Promise<T>;
  /** Every event the sidecars shipped, in the order recorded; `E` says what the payloads hold. */
  storedEvents<E extends StoredEventRow = StoredEventRow>(): Promise<E[]>;
  /**
   * Creates a namespace this operator injects sidecars into (labelled for its webhooks) with the
   * agents' service account in it; like `kubectl apply`/`create`, leaves failures to what follows.
   */
  createInjectedNamespace(namespace: string, serviceAccount: string): Promise<void>;
  /** Starts the in-pod sidecar of a pod and waits until it is ready (its first bundle in force). */
  startSidecar(namespace: string, podName: string, options?: InPodSidecarOptions): Promise<InPodSidecar>;
  /** Stops the sidecars startSidecar started, then the operator, then the store. */
  stop(): Promise<void>;
}

/**
 * A local operator ready for in-pod sidecars: a private PostgreSQL for it to provision as the
 * recording store, the store Secret and issuers of inPodOperatorSettings, and its first
 * provisioning run done, so a sidecar started next gets its store settings.
 */
export async function startInPodOperator(
  harness: HarnessInfo,
  id: string,
  purpose: string,
): Promise<InPodOperator> {
  const store = await startPrivatePostgres(purpose);
  let local: LocalOperator | undefined;
  try {
    const settings = inPodOperatorSettings(harness.oidc, store);
    local = await startLocalOperator(
      harness,
      id,
      { CREWGATE_OPERATOR_USERNAME: 'crewgate-admin', ...settings.env },
      settings.secrets,
    );
    await local.operator.recordingStore.firstRun;
  } catch (e) {
    await local?.stop();
    await store.stop();
    throw e;
  }
  const running = local;
  const sidecars: InPodSidecar[] = [];
  return {
    store,
    local: running,
    asStoreAdmin: (f) => asStoreAdmin(store, f),
    storedEvents: () => asStoreAdmin(store, (c) => allStoredEvents(c)),
    async createInjectedNamespace(namespace, serviceAccount) {
      await kubectl(harness, ['apply', '-f', '-'], {
        input: JSON.stringify({
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: { name: namespace, labels: { 'crewgate-test': id, 'crewgate.dev/inject': 'enabled' } },
        }),
      });
      await kubectl(harness, ['create', 'serviceaccount', serviceAccount, '-n', namespace]);
    },
    async startSidecar(namespace, podName, options) {
      const sidecar = await startInPodSidecar(harness, namespace, podName, options);
      sidecars.push(sidecar);
      await sidecar.untilReady();
      return sidecar;
    },
    async stop() {
      for (const sidecar of sidecars) await sidecar.stop();
      await running.stop();
      await store.stop();
    },
  };
}
