/**
 * Leader election on a coordination.k8s.io Lease, as client-go's leaderelection does: one replica
 * holds the lease and reconciles; all replicas serve webhooks and the sidecar API. A holder that
 * cannot renew within the renew deadline steps down; others take over once the lease expires.
 */
import { V1MicroTime, type V1Lease, type V1LeaseSpec } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { isConflict, isNotFound, type KubeClients } from '../kube/client.js';

export interface LeaderElectionOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  onStartedLeading: () => void;
  onStoppedLeading: () => void;
  logger: Logger;
  now?: () => Date;
}

/** Lease times are MicroTime; client-node serialises them from this Date subclass. */
const micro = (d: Date) => new V1MicroTime(d.getTime());

export class LeaderElector {
  private leading = false;
  private lastRenew = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly now: () => Date;

  constructor(
    private readonly clients: KubeClients,
    private readonly options: LeaderElectionOptions,
  ) {
    this.now = options.now ?? (() => new Date());
  }

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    void this.tick();
  }

  private get leaseDurationMs() {
    return this.options.leaseDurationMs ?? 15_000;
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    try {
      const acquired = await this.tryAcquireOrRenew();
      if (acquired) this.lastRenew = Date.now();
      if (acquired && !this.leading) {
        this.leading = true;
        this.options.logger.info({ identity: this.options.identity }, 'became leader');
        this.options.onStartedLeading();
      }
    } catch (error) {
      this.options.logger.warn(
        { err: error instanceof Error ? error.message : String(error) },
        'lease update failed',
      );
    }
    if (this.leading && Date.now() - this.lastRenew > (this.options.renewDeadlineMs ?? 10_000)) {
      this.stepDown();
    }
    this.timer = setTimeout(() => void this.tick(), this.options.retryPeriodMs ?? 2_000);
    this.timer.unref();
  }

  private stepDown(): void {
    if (!this.leading) return;
    this.leading = false;
    this.options.logger.warn({ identity: this.options.identity }, 'lost leadership');
    this.options.onStoppedLeading();
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { namespace, name, identity } = this.options;
    const now = this.now();
    const spec = {
      holderIdentity: identity,
      leaseDurationSeconds: Math.ceil(this.leaseDurationMs / 1000),
      renewTime: micro(now),
    };
    let lease: V1Lease;
    try {
      lease = await this.clients.coordination.readNamespacedLease({ name, namespace });
    } catch (error) {
      if (!isNotFound(error)) throw error;
      try {
        await this.clients.coordination.createNamespacedLease({
          namespace,
          body: {
            metadata: { name, namespace },
            spec: { ...spec, acquireTime: micro(now), leaseTransitions: 0 },
          },
        });
        return true;
      } catch (createError) {
        if (isConflict(createError)) return false;
        throw createError;
      }
    }
    const holder = lease.spec?.holderIdentity;
    const renewed = lease.spec?.renewTime ? new Date(lease.spec.renewTime).getTime() : 0;
    const expired = now.getTime() > renewed + (lease.spec?.leaseDurationSeconds ?? 15) * 1000;
    if (holder !== identity && !expired) return false;
    const next: V1LeaseSpec = { ...lease.spec, ...spec };
    if (holder !== identity) {
      next.acquireTime = micro(now);
      next.leaseTransitions = (lease.spec?.leaseTransitions ?? 0) + 1;
    }
    lease.spec = next;
    try {
      await this.clients.coordination.replaceNamespacedLease({ name, namespace, body: lease });
      return true;
    } catch (error) {
      if (isConflict(error)) return false;
      throw error;
    }
  }

  /**
   * Stops renewing without releasing the lease, as a crashed replica would: others take over once
   * it expires. For a process that must go away at once without touching the API.
   */
  halt(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  /** Releases the lease so another replica takes over at once (graceful shutdown). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (!this.leading) return;
    this.stepDown();
    try {
      const lease = await this.clients.coordination.readNamespacedLease({
        name: this.options.name,
        namespace: this.options.namespace,
      });
      if (lease.spec?.holderIdentity === this.options.identity) {
        lease.spec.renewTime = micro(new Date(0));
        lease.spec.holderIdentity = '';
        await this.clients.coordination.replaceNamespacedLease({
          name: this.options.name,
          namespace: this.options.namespace,
          body: lease,
        });
      }
    } catch {
      // Best effort: the lease expires on its own.
    }
  }
}
