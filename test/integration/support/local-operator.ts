/**
 * The operator in the test process against the harness's API server, its webhooks registered by
 * URL and scoped to namespaces carrying the label `crewgate-test=<id>`, so other test files' objects
 * never reach it. Stop it (and remove the webhook configurations) in afterAll.
 */
import { operatorConfigFrom } from '../../../operator/config.js';
import { kubeClients } from '../../../operator/kube/client.js';
import { startOperator, type RunningOperator } from '../../../operator/operator.js';
import { silentLogger } from '../../../sidecar/logging.js';
import type { HarnessInfo } from '../../harness/index.js';
import { localWebhookConfigurations } from '../../harness/local-webhooks.js';
import { freePort } from '../../harness/ports.js';
import { kubectl } from '../../harness/run.js';

export interface LocalOperator {
  operator: RunningOperator;
  id: string;
  namespace: string;
  sidecarApiUrl: string;
  stop(): Promise<void>;
}

export async function startLocalOperator(
  harness: HarnessInfo,
  id: string,
  env: Record<string, string> = {},
  /** Secrets to create in the operator's namespace before it starts (e.g. the recording store's). */
  secrets: Record<string, Record<string, string>> = {},
): Promise<LocalOperator> {
  const webhookPort = await freePort();
  const sidecarApiPort = await freePort();
  const namespace = `crewgate-op-${id}`;
  const configName = `crewgate-test-${id}`;
  await kubectl(harness, ['create', 'namespace', namespace]);
  for (const [name, data] of Object.entries(secrets)) {
    const created = await kubectl(harness, [
      'create',
      'secret',
      'generic',
      name,
      '-n',
      namespace,
      ...Object.entries(data).map(([k, v]) => `--from-literal=${k}=${v}`),
    ]);
    if (created.code !== 0) throw new Error(created.stderr);
  }
  const registered = await kubectl(harness, ['apply', '-f', '-'], {
    input: localWebhookConfigurations(configName, webhookPort, { namespaceLabel: ['crewgate-test', id] }),
  });
  if (registered.code !== 0) throw new Error(registered.stderr);
  const config = operatorConfigFrom([], {
    CREWGATE_NAMESPACE: namespace,
    CREWGATE_IDENTITY: `test-operator-${id}`,
    CREWGATE_BIND_ADDRESS: '127.0.0.1',
    CREWGATE_WEBHOOK_PORT: String(webhookPort),
    CREWGATE_SIDECAR_API_PORT: String(sidecarApiPort),
    CREWGATE_METRICS_PORT: '0',
    CREWGATE_EXTRA_IP_ADDRESSES: '127.0.0.1',
    CREWGATE_CONTROL_PLANE_URL: `https://127.0.0.1:${sidecarApiPort}`,
    CREWGATE_MUTATING_WEBHOOK_CONFIGURATIONS: configName,
    CREWGATE_VALIDATING_WEBHOOK_CONFIGURATIONS: configName,
    ...env,
  });
  const operator = await startOperator(
    config,
    kubeClients(harness.controlPlane.adminKubeconfig),
    silentLogger(),
  );
  return {
    operator,
    id,
    namespace,
    sidecarApiUrl: `https://127.0.0.1:${sidecarApiPort}`,
    async stop() {
      await operator.stop();
      await kubectl(harness, [
        'delete',
        'mutatingwebhookconfiguration,validatingwebhookconfiguration',
        configName,
        '--ignore-not-found',
      ]);
    },
  };
}
