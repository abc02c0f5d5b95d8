/**
 * The crewgate objects every replica keeps in memory for the sidecar API (informers, all
 * namespaces), with change notifications per namespace so bundle watchers hear within moments.
 */
import type { Informer, KubernetesObject, ObjectCache } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { KubeClients } from '../kube/client.js';
import { customResourceInformer } from '../kube/informers.js';

type Cache = Informer<KubernetesObject> & ObjectCache<KubernetesObject>;

export class ClusterState {
  readonly connections: Cache;
  readonly accessPolicies: Cache;
  readonly maskingRules: Cache;
  readonly approvalRequests: Cache;
  private readonly listeners = new Set<(namespace: string) => void>();
  private stopped = false;
  private started = false;
  /** Informers that stopped with an error and have not restarted yet. */
  private readonly failed = new Set<Cache>();

  constructor(
    clients: KubeClients,
    private readonly logger: Logger,
  ) {
    this.connections = customResourceInformer(clients, 'connections');
    this.accessPolicies = customResourceInformer(clients, 'accesspolicies');
    this.maskingRules = customResourceInformer(clients, 'maskingrules');
    this.approvalRequests = customResourceInformer(clients, 'approvalrequests');
    for (const informer of this.all()) {
      const changed = (o: KubernetesObject) => this.notify(o.metadata?.namespace ?? '');
      informer.on('add', changed);
      informer.on('update', changed);
      informer.on('delete', changed);
      informer.on('error', (error) => {
        if (this.stopped) return;
        this.failed.add(informer);
        this.logger.warn(
          { err: error instanceof Error ? error.message : String(error) },
          'informer stopped; restarting',
        );
        setTimeout(
          () =>
            void informer
              .start()
              .then(() => this.failed.delete(informer))
              .catch(() => undefined),
          1_000,
        ).unref();
      });
    }
  }

  private all(): Cache[] {
    return [this.connections, this.accessPolicies, this.maskingRules, this.approvalRequests];
  }

  private notify(namespace: string): void {
    for (const l of this.listeners) l(namespace);
  }

  onChange(listener: (namespace: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async start(): Promise<void> {
    await Promise.all(this.all().map((i) => i.start()));
    this.started = true;
  }

  /** Listed once, and no informer is down: what the sidecar API serves is the cluster's state. */
  get synced(): boolean {
    return this.started && this.failed.size === 0;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.all().map((i) => i.stop()));
  }
}
