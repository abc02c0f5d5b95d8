/**
 * Starts the sidecar's PostgreSQL listener in the test process, in front of the harness's real
 * PostgreSQL, with real identity verification against the harness's issuers and the policies of
 * a fixture file. Nothing here is a stand-in: the approver is the sidecar's own default until the
 * approvals issue wires the control plane.
 */
import { readFileSync } from 'node:fs';
import type { HarnessInfo } from '../../harness/index.js';
import type { Approver } from '../../../sidecar/enforcement/approver.js';
import type { SidecarMetrics } from '../../../sidecar/enforcement/metrics.js';
import type { StaticBundleSource } from '../../../sidecar/enforcement/policy-bundle.js';
import type { MemoryRecorder, SessionRecorder } from '../../../sidecar/enforcement/recorder.js';
import { silentLogger } from '../../../sidecar/logging.js';
import { initSqlClassifier } from '../../../sidecar/classify/sql/index.js';
import {
  startPostgresListener,
  type PostgresListener,
  type PostgresListenerOptions,
} from '../../../sidecar/postgres/listener.js';
import {
  harnessEnforcement,
  harnessVerifier,
  loadManifests,
  loadManifestsFromText,
} from './harness-enforcement.js';

export interface ProxyUnderTest {
  listener: PostgresListener;
  recorder: MemoryRecorder;
  metrics: SidecarMetrics;
  bundle: StaticBundleSource;
}

export { loadManifests, loadManifestsFromText };

export async function startProxy(
  harness: HarnessInfo,
  options: {
    policies?: string;
    /** Manifests given directly (e.g. rewritten for a test's own namespace); wins over `policies`. */
    manifests?: ReturnType<typeof loadManifestsFromText>;
    approver?: Approver;
    listener?: Partial<PostgresListenerOptions>;
    /** Also record to this one (e.g. the spooling recorder); it decides `accepting()`. `recorder` still gets every event. */
    recorder?: SessionRecorder;
    metrics?: SidecarMetrics;
  } = {},
): Promise<ProxyUnderTest> {
  await initSqlClassifier();
  const { bundle, recorder, recording, metrics, enforcer } = harnessEnforcement({
    fixture: options.policies ?? 'test/integration/fixtures/shop-policies.yaml',
    manifests: options.manifests,
    approver: options.approver,
    metrics: options.metrics,
    alsoRecordTo: options.recorder,
  });
  const verifier = harnessVerifier(harness);
  const pg = harness.postgres;
  const listener = await startPostgresListener(
    {
      connection: 'shop-db',
      port: 0,
      upstream: async () => ({
        host: pg.host,
        port: pg.port,
        database: pg.database,
        user: pg.app.user,
        password: pg.app.password,
        tls: { mode: 'verify-full', ca: [readFileSync(pg.caCertificateFile, 'utf8')] },
      }),
      ...options.listener,
    },
    { enforcer, verifier, recorder: recording, metrics, logger: silentLogger() },
  );
  return { listener, recorder, metrics, bundle };
}
