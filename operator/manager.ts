/**
 * Runs the operator's controllers while this replica holds the lease. Every replica serves the
 * webhooks and the sidecar API; only the leader reconciles, so status is written by one writer.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { Counter, Histogram, type Registry } from 'prom-client';
import { Controller } from './controller/controller.js';
import type { KubeClients } from './kube/client.js';
import { EventRecorder } from './kube/events.js';
import { customResourceInformer, secretInformer } from './kube/informers.js';
import {
  connectionReconciler,
  connectionsNamingSecret,
  type ConnectionObject,
  type ConnectionReconcilerOptions,
} from './reconcilers/connection-reconciler.js';
import { accessPolicyReconciler, maskingRuleReconciler } from './reconcilers/policy-reconciler.js';

export interface ManagerDeps {
  clients: KubeClients;
  logger: Logger;
  registry: Registry;
  now?: () => Date;
  /** Probe Connection targets and write `Reachable` (the operator setting `probeConnections`). */
  probe?: ConnectionReconcilerOptions['probe'];
}

export class Manager {
  private controllers: Controller<KubernetesObject>[] = [];
  private readonly reconciles: Counter<'controller' | 'outcome'>;
  private readonly reconcileSeconds: Histogram<'controller'>;

  constructor(private readonly deps: ManagerDeps) {
    this.reconciles = new Counter({
      name: 'crewgate_reconciles_total',
      help: 'Reconciles by controller and outcome.',
      labelNames: ['controller', 'outcome'],
      registers: [deps.registry],
    });
    this.reconcileSeconds = new Histogram({
      name: 'crewgate_reconcile_seconds',
      help: 'Reconcile time by controller.',
      labelNames: ['controller'],
      registers: [deps.registry],
    });
  }

  private observe(controller: string) {
    return (outcome: 'success' | 'error', seconds: number) => {
      this.reconciles.inc({ controller, outcome });
      this.reconcileSeconds.observe({ controller }, seconds);
    };
  }

  async start(): Promise<void> {
    const { clients, logger } = this.deps;
    const events = new EventRecorder(clients, 'crewgate-operator', this.deps.now);
    const reconcilerDeps = { clients, events, logger, now: this.deps.now };
    const connections = customResourceInformer<ConnectionObject>(clients, 'connections');
    const maskingRules = customResourceInformer<KubernetesObject>(clients, 'maskingrules');
    const accessPolicies = customResourceInformer<KubernetesObject>(clients, 'accesspolicies');
    const maskingNames = (namespace: string) =>
      new Set(maskingRules.list(namespace).map((m) => m.metadata?.name ?? ''));
    this.controllers = [
      new Controller<ConnectionObject>({
        name: 'connections',
        informer: connections,
        reconcile: connectionReconciler(reconcilerDeps, { probe: this.deps.probe }),
        watches: [
          {
            informer: secretInformer(clients),
            keysFor: (secret) => connectionsNamingSecret(connections.list(), secret),
          },
        ],
        logger,
        observe: this.observe('connections'),
      }) as unknown as Controller<KubernetesObject>,
      new Controller({
        name: 'maskingrules',
        informer: maskingRules,
        reconcile: maskingRuleReconciler(reconcilerDeps),
        logger,
        observe: this.observe('maskingrules'),
      }),
      new Controller({
        name: 'accesspolicies',
        informer: accessPolicies,
        reconcile: accessPolicyReconciler(reconcilerDeps, maskingNames),
        // A MaskingRule appearing or going away changes the MaskingResolved condition of the policies in its namespace.
        watches: [
          {
            informer: customResourceInformer<KubernetesObject>(clients, 'maskingrules'),
            keysFor: (rule) =>
              accessPolicies
                .list(rule.metadata?.namespace)
                .map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`),
          },
        ],
        logger,
        observe: this.observe('accesspolicies'),
      }),
    ];
    await Promise.all(this.controllers.map((c) => c.start()));
    logger.info({ controllers: this.controllers.length }, 'controllers started');
  }

  async stop(): Promise<void> {
    await Promise.all(this.controllers.map((c) => c.stop()));
    this.controllers = [];
  }
}
