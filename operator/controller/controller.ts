/**
 * A level-based controller (kubebuilder style, DESIGN.md §10): an informer feeds keys into a work
 * queue; a reconcile function gets the key, reads the current object itself, computes, writes
 * status; a thrown error requeues the key with backoff, a result may ask to be requeued later.
 * The informer is restarted when it errors (client-node informers stop silently otherwise), and
 * every key is requeued at each resync period.
 */
import type { Informer, KubernetesObject, ObjectCache } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { WorkQueue } from './work-queue.js';

export interface ObjectKey {
  namespace: string;
  name: string;
}

export interface ReconcileResult {
  /** Reconcile this key again after this long (e.g. an ApprovalRequest's expiry). */
  requeueAfterMs?: number;
}

export interface ControllerOptions<T extends KubernetesObject> {
  name: string;
  informer: Informer<T> & ObjectCache<T>;
  reconcile: (key: ObjectKey) => Promise<ReconcileResult | undefined>;
  logger: Logger;
  workers?: number;
  resyncMs?: number;
  /** Delay before an informer that failed is started again. */
  restartDelayMs?: number;
  /** Called after every reconcile, for metrics. */
  observe?: (outcome: 'success' | 'error', seconds: number) => void;
  /** Other objects whose changes requeue primary keys (e.g. a Secret requeues the Connections naming it). */
  watches?: SecondaryWatch[];
}

export interface SecondaryWatch {
  informer: Informer<KubernetesObject> & ObjectCache<KubernetesObject>;
  /** The primary keys (`namespace/name`) an event on this object concerns. */
  keysFor: (object: KubernetesObject) => string[];
}

export const keyOf = (o: KubernetesObject): string =>
  `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
const parseKey = (key: string): ObjectKey => {
  const slash = key.indexOf('/');
  return { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
};

export class Controller<T extends KubernetesObject> {
  readonly queue = new WorkQueue();
  private stopped = false;
  private resyncTimer: NodeJS.Timeout | undefined;
  private readonly log: Logger;

  constructor(private readonly options: ControllerOptions<T>) {
    this.log = options.logger.child({ controller: options.name });
    const enqueue = (o: T) => this.queue.add(keyOf(o));
    this.watch(options.informer, (o) => enqueue(o as T));
    for (const w of options.watches ?? [])
      this.watch(w.informer, (o) => w.keysFor(o).forEach((k) => this.queue.add(k)));
  }

  private watch<O extends KubernetesObject>(informer: Informer<O>, onChange: (o: O) => void): void {
    informer.on('add', onChange);
    informer.on('update', onChange);
    informer.on('delete', onChange);
    informer.on('error', (error) => {
      if (this.stopped) return;
      this.log.warn(
        { err: error instanceof Error ? error.message : String(error) },
        'informer stopped; restarting',
      );
      setTimeout(() => {
        if (!this.stopped) informer.start().catch(() => undefined);
      }, this.options.restartDelayMs ?? 1_000).unref();
    });
  }

  async start(): Promise<void> {
    await Promise.all([
      this.options.informer.start(),
      ...(this.options.watches ?? []).map((w) => w.informer.start()),
    ]);
    for (let i = 0; i < (this.options.workers ?? 2); i++) void this.work();
    this.resyncTimer = setInterval(() => this.resync(), this.options.resyncMs ?? 5 * 60_000);
    this.resyncTimer.unref();
  }

  /** Requeues every cached object: a missed watch event is repaired within one period. */
  resync(): void {
    for (const o of this.options.informer.list()) this.queue.add(keyOf(o));
  }

  private async work(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      const started = performance.now();
      try {
        const result = await this.options.reconcile(parseKey(key));
        this.queue.forget(key);
        if (result?.requeueAfterMs !== undefined) this.queue.addAfter(key, result.requeueAfterMs);
        this.options.observe?.('success', (performance.now() - started) / 1000);
      } catch (error) {
        const delay = this.queue.addRateLimited(key);
        this.log.warn(
          { key, err: error instanceof Error ? error.message : String(error), retryInMs: delay },
          'reconcile failed',
        );
        this.options.observe?.('error', (performance.now() - started) / 1000);
      } finally {
        this.queue.done(key);
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    this.queue.shutDown();
    await Promise.all([
      this.options.informer.stop(),
      ...(this.options.watches ?? []).map((w) => w.informer.stop()),
    ]);
  }
}
