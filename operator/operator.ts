/**
 * One operator replica: its webhook certificate, the admission webhooks, the sidecars' control
 * plane, the controllers (only while it holds the lease), and /metrics, /healthz, /readyz.
 * `operator/main.ts` runs it as a process; tests and the demo start it in-process.
 */
import { createServer, type Server } from 'node:http';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { parseDuration } from '../sidecar/policy/index.js';
import type { OperatorConfig } from './config.js';
import { ClusterState } from './control-plane/cluster-state.js';
import { startSidecarApi, type SidecarApi } from './control-plane/sidecar-api.js';
import { sidecarSettingsSource } from './control-plane/sidecar-settings.js';
import { Controller } from './controller/controller.js';
import { LeaderElector } from './controller/leader-election.js';
import { injectionConfigSchema } from './injection/index.js';
import { isNotFound, type KubeClients } from './kube/client.js';
import { EventRecorder } from './kube/events.js';
import { customResourceInformer } from './kube/informers.js';
import { Manager } from './manager.js';
import { Readiness } from './readiness.js';
import { tcpProbe } from './reconcilers/probe-target.js';
import { startStoreProvisioning, type StoreProvisioning } from './recording-store/index.js';
import { patchCaBundle, webhookCertificate } from './pki/webhook-certificate.js';
import { approvalRequestReconciler } from './reconcilers/approval-request-reconciler.js';
import { webhookHandlers } from './webhooks/handlers.js';
import { startWebhookServer, type WebhookServer } from './webhooks/webhook-server.js';

export interface RunningOperator {
  webhookPort: number;
  sidecarApiPort: number;
  metricsPort: number;
  caCertificatePem: string;
  isLeader(): boolean;
  /** Why `/readyz` fails, or undefined when the replica is ready. */
  notReady(): string | undefined;
  /** The recording store this replica provisions (state and first run). */
  recordingStore: StoreProvisioning;
  registry: Registry;
  stop(): Promise<void>;
}

export async function startOperator(
  config: OperatorConfig,
  clients: KubeClients,
  logger: Logger,
): Promise<RunningOperator> {
  const registry = new Registry();
  // Served first, so a starting replica answers /healthz (alive) and /readyz (not yet) at once.
  const readiness = new Readiness({
    webhooks: 'the webhook server has no serving certificate yet',
    informers: 'informers have not synced',
    sidecarApi: 'the sidecar API is not serving yet',
  });
  let state: ClusterState | undefined;
  const metrics: Server = createServer((req, res) => {
    if (req.url === '/metrics') {
      void registry
        .metrics()
        .then((body) => res.writeHead(200, { 'content-type': registry.contentType }).end(body));
    } else if (req.url === '/healthz') {
      res.end('ok');
    } else if (req.url === '/readyz') {
      readiness.set('informers', state?.synced ?? false);
      const reason = readiness.notReady();
      res.writeHead(reason === undefined ? 200 : 503).end(reason ?? 'ok');
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) =>
    metrics.listen(config.metricsPort, config.bindAddress, () => resolve()),
  );
  const address = metrics.address();
  const recordingStore = startStoreProvisioning(
    clients,
    config.namespace,
    config.recordingStore,
    logger.child({ component: 'recording-store' }),
  );
  try {
    return await startServing();
  } catch (error) {
    recordingStore.stop();
    await new Promise<void>((resolve) => metrics.close(() => resolve()));
    throw error;
  }

  async function startServing(): Promise<RunningOperator> {
    const certificate = await webhookCertificate(clients, {
      namespace: config.namespace,
      caSecretName: `${config.serviceName}-ca`,
      serviceName: config.serviceName,
      extraIpAddresses: config.extraIpAddresses,
    });
    const serving = { cert: certificate.serving.certificatePem, key: certificate.serving.privateKeyPem };
    const operatorUsername =
      config.operatorUsername ?? `system:serviceaccount:${config.namespace}:${config.serviceName}`;
    const injection = injectionConfigSchema.parse({
      sidecarImage: config.sidecarImage,
      ...(config.redirectImage ? { redirectImage: config.redirectImage } : {}),
      mode: config.injectionMode,
      controlPlaneUrl:
        config.controlPlaneUrl ??
        `https://${config.serviceName}.${config.namespace}.svc:${config.sidecarApiPort}`,
      controlPlaneCaBundle: certificate.ca.certificatePem,
    });

    const webhooks: WebhookServer = await startWebhookServer({
      host: config.bindAddress,
      port: config.webhookPort,
      certificate: serving,
      handlers: webhookHandlers({ clients, injection, operatorUsername }),
      logger: logger.child({ component: 'webhooks' }),
      registry,
    });
    readiness.set('webhooks', true);
    const clusterState = new ClusterState(clients, logger.child({ component: 'control-plane' }));
    state = clusterState;
    await clusterState.start();
    const sidecarApi: SidecarApi = await startSidecarApi({
      host: config.bindAddress,
      port: config.sidecarApiPort,
      certificate: serving,
      clients,
      state: clusterState,
      injection,
      settings: sidecarSettingsSource(clients, config),
      logger: logger.child({ component: 'control-plane' }),
      registry,
    });
    readiness.set('sidecarApi', true);

    try {
      await patchCaBundle(clients, certificate.ca.certificatePem, {
        mutating: config.mutatingWebhookConfigurations,
        validating: config.validatingWebhookConfigurations,
      });
    } catch (error) {
      if (!isNotFound(error)) throw error;
      logger.warn(
        'a webhook configuration named in the settings does not exist yet; its caBundle is not set',
      );
    }

    // Controllers run only on the leader.
    const manager = new Manager({
      clients,
      logger: logger.child({ component: 'controllers' }),
      registry,
      ...(config.probeConnections
        ? { probe: { probe: tcpProbe(), everyMs: config.probeIntervalSeconds * 1000 } }
        : {}),
    });
    const retentionMs = parseDuration(config.approvalRetention) ?? 7 * 24 * 3600_000;
    let approvals: Controller<never> | undefined;
    const elector = new LeaderElector(clients, {
      namespace: config.namespace,
      name: config.serviceName,
      identity: config.identity,
      logger,
      onStartedLeading: () => {
        void manager.start();
        const events = new EventRecorder(clients, 'crewgate-operator');
        approvals = new Controller({
          name: 'approvalrequests',
          informer: customResourceInformer(clients, 'approvalrequests'),
          reconcile: approvalRequestReconciler({ clients, events, logger }, { retentionMs }),
          logger,
        }) as unknown as Controller<never>;
        void approvals.start();
      },
      onStoppedLeading: () => {
        void manager.stop();
        void approvals?.stop();
      },
    });
    elector.start();

    return {
      webhookPort: webhooks.port,
      sidecarApiPort: sidecarApi.port,
      metricsPort: typeof address === 'object' && address ? address.port : config.metricsPort,
      caCertificatePem: certificate.ca.certificatePem,
      isLeader: () => elector.isLeader,
      notReady: () => {
        readiness.set('informers', clusterState.synced);
        return readiness.notReady();
      },
      recordingStore,
      registry,
      stop: async () => {
        await elector.stop();
        await manager.stop();
        await approvals?.stop();
        await sidecarApi.close();
        await webhooks.close();
        await clusterState.stop();
        recordingStore.stop();
        await new Promise<void>((resolve) => metrics.close(() => resolve()));
      },
    };
  }
}
