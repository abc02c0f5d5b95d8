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
import { Controller } from './controller/controller.js';
import { LeaderElector } from './controller/leader-election.js';
import { injectionConfigSchema } from './injection/index.js';
import { isNotFound, type KubeClients } from './kube/client.js';
import { EventRecorder } from './kube/events.js';
import { customResourceInformer } from './kube/informers.js';
import { Manager } from './manager.js';
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
  registry: Registry;
  stop(): Promise<void>;
}

export async function startOperator(
  config: OperatorConfig,
  clients: KubeClients,
  logger: Logger,
): Promise<RunningOperator> {
  const registry = new Registry();
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
  const state = new ClusterState(clients, logger.child({ component: 'control-plane' }));
  await state.start();
  const sidecarApi: SidecarApi = await startSidecarApi({
    host: config.bindAddress,
    port: config.sidecarApiPort,
    certificate: serving,
    clients,
    state,
    injection,
    logger: logger.child({ component: 'control-plane' }),
    registry,
  });

  try {
    await patchCaBundle(clients, certificate.ca.certificatePem, {
      mutating: config.mutatingWebhookConfigurations,
      validating: config.validatingWebhookConfigurations,
    });
  } catch (error) {
    if (!isNotFound(error)) throw error;
    logger.warn('a webhook configuration named in the settings does not exist yet; its caBundle is not set');
  }

  // Controllers run only on the leader.
  const manager = new Manager({ clients, logger: logger.child({ component: 'controllers' }), registry });
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

  const metrics: Server = createServer((req, res) => {
    if (req.url === '/metrics') {
      void registry
        .metrics()
        .then((body) => res.writeHead(200, { 'content-type': registry.contentType }).end(body));
    } else if (req.url === '/healthz' || req.url === '/readyz') {
      res.end('ok');
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) =>
    metrics.listen(config.metricsPort, config.bindAddress, () => resolve()),
  );
  const address = metrics.address();

  return {
    webhookPort: webhooks.port,
    sidecarApiPort: sidecarApi.port,
    metricsPort: typeof address === 'object' && address ? address.port : config.metricsPort,
    caCertificatePem: certificate.ca.certificatePem,
    isLeader: () => elector.isLeader,
    registry,
    stop: async () => {
      await elector.stop();
      await manager.stop();
      await approvals?.stop();
      await sidecarApi.close();
      await webhooks.close();
      await state.stop();
      await new Promise<void>((resolve) => metrics.close(() => resolve()));
    },
  };
}
