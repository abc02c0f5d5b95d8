/**
 * Starts the sidecar's HTTP adapter in the test process with real deps: the enforcer over the
 * policies of a fixture file, the harness's token verification, a MemoryRecorder to read what was
 * recorded. The Connection (`billing-api`) points at a JSON API the test started.
 */
import type { HarnessInfo } from '../../harness/index.js';
import type { ResolvedTarget, RunningListener } from '../../../sidecar/adapters/protocol-adapter.js';
import type { Identity } from '../../../sidecar/core/command.js';
import type { Approver } from '../../../sidecar/enforcement/approver.js';
import type { SidecarMetrics } from '../../../sidecar/enforcement/metrics.js';
import type { StaticBundleSource } from '../../../sidecar/enforcement/policy-bundle.js';
import type { MemoryRecorder } from '../../../sidecar/enforcement/recorder.js';
import { httpAdapter } from '../../../sidecar/http/adapter.js';
import { silentLogger } from '../../../sidecar/logging.js';
import { harnessEnforcement, harnessVerifier, type Manifests } from './harness-enforcement.js';

export const UPSTREAM_CREDENTIAL = 'Bearer upstream-secret-0123456789';

export interface HttpProxyUnderTest {
  listener: RunningListener;
  url: string;
  recorder: MemoryRecorder;
  metrics: SidecarMetrics;
  bundle: StaticBundleSource;
}

export async function startHttpProxy(
  harness: HarnessInfo,
  options: {
    target: ResolvedTarget | (() => Promise<ResolvedTarget>);
    manifests?: Manifests;
    approver?: Approver;
    listenerOptions?: unknown;
    workloadIdentity?: Identity;
  },
): Promise<HttpProxyUnderTest> {
  const { bundle, recorder, metrics, approver, enforcer } = harnessEnforcement({
    fixture: 'test/integration/fixtures/http-policies.yaml',
    manifests: options.manifests,
    approver: options.approver,
  });
  const target = options.target;
  const listener = await httpAdapter.start(
    {
      connection: 'billing-api',
      listen: { host: '127.0.0.1', port: 0 },
      target: typeof target === 'function' ? target : async () => target,
      options: options.listenerOptions,
    },
    {
      enforcer,
      verifier: harnessVerifier(harness),
      recorder,
      metrics,
      logger: silentLogger(),
      approver,
      ...(options.workloadIdentity && { workloadIdentity: options.workloadIdentity }),
    },
  );
  return { listener, url: `http://127.0.0.1:${listener.port}`, recorder, metrics, bundle };
}

/** An http Connection to `address` as the control plane would resolve it. */
export function billingTarget(address: string, extra: Partial<ResolvedTarget> = {}): ResolvedTarget {
  return {
    spec: { type: 'http', address, http: { credentialHeader: 'Authorization' } },
    credentials: { value: UPSTREAM_CREDENTIAL },
    ...extra,
  };
}
