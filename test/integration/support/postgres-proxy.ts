/**
 * Starts the sidecar's PostgreSQL listener in the test process, in front of the harness's real
 * PostgreSQL, with real identity verification against the harness's issuers and the policies of
 * a fixture file. Nothing here is a stand-in: the approver is the sidecar's own default until the
 * approvals issue wires the control plane.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { HarnessInfo } from '../../harness/index.js';
import { repositoryRoot } from '../../harness/paths.js';
import { harnessVerifier } from './harness-verifier.js';
import { NoApprover, type Approver } from '../../../sidecar/enforcement/approver.js';
import { Enforcer } from '../../../sidecar/enforcement/enforcer.js';
import { SidecarMetrics } from '../../../sidecar/enforcement/metrics.js';
import {
  compileBundle,
  StaticBundleSource,
  type ObjectManifest,
} from '../../../sidecar/enforcement/policy-bundle.js';
import { MemoryRecorder, type SessionRecorder } from '../../../sidecar/enforcement/recorder.js';
import { silentLogger } from '../../../sidecar/logging.js';
import { initSqlClassifier } from '../../../sidecar/classify/sql/index.js';
import {
  startPostgresListener,
  type PostgresListener,
  type PostgresListenerOptions,
} from '../../../sidecar/postgres/listener.js';

export interface ProxyUnderTest {
  listener: PostgresListener;
  recorder: MemoryRecorder;
  metrics: SidecarMetrics;
  bundle: StaticBundleSource;
}

export function loadManifests(file: string): {
  accessPolicies: ObjectManifest[];
  maskingRules: ObjectManifest[];
} {
  return loadManifestsFromText(readFileSync(join(repositoryRoot, file), 'utf8'));
}

export function loadManifestsFromText(text: string): {
  accessPolicies: ObjectManifest[];
  maskingRules: ObjectManifest[];
} {
  const docs = parseAllDocuments(text).map((d) => d.toJS() as ObjectManifest & { kind: string });
  return {
    accessPolicies: docs.filter((d) => d.kind === 'AccessPolicy'),
    maskingRules: docs.filter((d) => d.kind === 'MaskingRule'),
  };
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
  const bundle = new StaticBundleSource(
    compileBundle(
      options.manifests ?? loadManifests(options.policies ?? 'test/integration/fixtures/shop-policies.yaml'),
    ),
  );
  const recorder = new MemoryRecorder();
  const extra = options.recorder;
  const recording: SessionRecorder = extra
    ? {
        record: (session, event) => {
          recorder.record(session, event);
          extra.record(session, event);
        },
        accepting: () => extra.accepting(),
      }
    : recorder;
  const metrics = options.metrics ?? new SidecarMetrics();
  const enforcer = new Enforcer({
    bundle,
    approver: options.approver ?? new NoApprover(),
    recorder: recording,
    metrics,
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
