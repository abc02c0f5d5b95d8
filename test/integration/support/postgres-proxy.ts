/**
 * Starts the sidecar's PostgreSQL listener in the test process, in front of the harness's real
 * PostgreSQL, with real identity verification against the harness's issuers and the policies of
 * a fixture file. Nothing here is a stand-in: the approver is the sidecar's own default until the
 * approvals issue wires the control plane.
 */
import { readFileSync } from 'node:fs';
import pg from 'pg';
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

/**
 * libpq's environment (psql, pgbench, psycopg) for an agent through a proxy on 127.0.0.1:`port`:
 * user `agent`, database `shop`, its token as the password, no TLS to the sidecar.
 */
export function agentPgEnv(port: number, token: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PGHOST: '127.0.0.1',
    PGPORT: String(port),
    PGUSER: 'agent',
    PGDATABASE: 'shop',
    PGPASSWORD: token,
    PGSSLMODE: 'disable',
  };
}

/** A connected node-postgres client straight to the harness's `shop`, as the application user. */
export async function shopAppClient(harness: HarnessInfo): Promise<pg.Client> {
  const c = new pg.Client({
    host: harness.postgres.host,
    port: harness.postgres.port,
    user: harness.postgres.app.user,
    password: harness.postgres.app.password,
    database: 'shop',
  });
  await c.connect();
  return c;
}

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
