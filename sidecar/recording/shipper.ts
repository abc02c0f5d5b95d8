/**
 * Ships the spool to the store: in order, in batches, one batch at a time, committing the spool
 * position only after the store accepted the batch. A failure is retried with exponential backoff
 * (jittered, capped) forever; meanwhile the spool grows, and the recorder's bound decides when new
 * commands must stop.
 */
import type { Logger } from 'pino';
import type { SidecarMetrics } from '../enforcement/metrics.js';
import type { EventStore } from './event-store.js';
import type { Spool } from './spool.js';

export interface ShipperDeps {
  spool: Spool;
  store: EventStore;
  metrics?: SidecarMetrics;
  logger?: Logger;
  /** Largest batch read from the spool, in bytes (default 1 MiB). */
  batchBytes?: number;
  /** First retry delay and its cap (defaults 100 ms and 5 s). */
  backoff?: { initialMs: number; maxMs: number };
  /** How long an idle shipper waits before looking at the spool again without a wake-up (default 1 s). */
  idlePollMs?: number;
  /**
   * How long the shipper lets events gather after a wake-up or a batch that did not fill
   * `batchBytes` (default 20 ms). Each batch costs one INSERT and a durable commit of the spool
   * position (two fsyncs); shipping every few events as they are spooled made that cost per
   * request on a busy proxy. The spool, not the store, is what keeps an event before its command
   * runs, so this only delays when the store has it.
   */
  lingerMs?: number;
}

export class Shipper {
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private failures = 0;
  /** Events written to the store by this process. */
  shipped = 0;
  /** The last store failure, cleared by the next success. */
  lastError: Error | undefined;

  constructor(private readonly deps: ShipperDeps) {
    deps.spool.onAppend(() => this.poke());
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Stops after the batch in flight; with `drainMs`, first keeps shipping until the spool is empty or the time is up. */
  async stop(drainMs = 0): Promise<void> {
    if (drainMs > 0) await this.drained(drainMs).catch(() => undefined);
    this.running = false;
    this.poke();
    await this.loop;
  }

  /** Resolves once everything spooled so far is in the store; rejects after `timeoutMs`. */
  async drained(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    // The recorder writes a turn's events at the end of the turn (setImmediate, first in, first
    // run): let what was recorded before this call reach the spool first.
    await new Promise((resolve) => setImmediate(resolve));
    while (this.deps.spool.depth > 0) {
      if (Date.now() > deadline) {
        throw new Error(
          `the spool still holds ${this.deps.spool.depth} unshipped bytes after ${timeoutMs} ms${this.lastError ? `: ${this.lastError.message}` : ''}`,
        );
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  private poke(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private async run(): Promise<void> {
    const { spool, store, metrics, logger } = this.deps;
    const backoff = this.deps.backoff ?? { initialMs: 100, maxMs: 5_000 };
    while (this.running) {
      let batch;
      const position = spool.position;
      const batchBytes = this.deps.batchBytes ?? 1024 * 1024;
      try {
        batch = await spool.read(batchBytes);
        if (batch.skipped > 0)
          logger?.error({ skipped: batch.skipped }, 'skipped unreadable spool lines (torn by a crash)');
      } catch (error) {
        logger?.error({ err: String(error) }, 'cannot read the recording spool');
        await this.pause(backoff.maxMs);
        continue;
      }
      if (batch.events.length === 0) {
        const at = spool.position;
        if (batch.next.segment !== at.segment || batch.next.offset !== at.offset) {
          // Moved past a finished or torn segment: record it so the old file can go.
          await spool
            .commit(batch.next)
            .catch((error: unknown) =>
              logger?.error({ err: String(error) }, 'cannot commit the spool position'),
            );
          continue;
        }
        metrics?.recordingSpoolBytes.set(spool.depth);
        await this.pause(this.deps.idlePollMs ?? 1_000);
        await this.sleep(this.deps.lingerMs ?? 20);
        continue;
      }
      try {
        await store.insert(batch.events);
        await spool.commit(batch.next);
        this.shipped += batch.events.length;
        metrics?.recordingEventsShipped.inc(batch.events.length);
        metrics?.recordingSpoolBytes.set(spool.depth);
        if (this.failures > 0)
          logger?.info({ afterFailures: this.failures }, 'recording store reachable again');
        this.failures = 0;
        this.lastError = undefined;
        // A full batch means a backlog: ship the next one at once.
        if (batch.next.offset - position.offset < batchBytes / 2) await this.sleep(this.deps.lingerMs ?? 20);
      } catch (error) {
        this.failures += 1;
        this.lastError = error instanceof Error ? error : new Error(String(error));
        metrics?.recordingStoreErrors.inc();
        const delay = Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(this.failures - 1, 20));
        const jittered = Math.round(delay * (0.5 + Math.random() / 2));
        if (this.failures === 1 || this.failures % 20 === 0) {
          logger?.warn(
            {
              err: this.lastError.message,
              failures: this.failures,
              retryInMs: jittered,
              spoolBytes: spool.depth,
            },
            'recording store write failed; events stay in the spool',
          );
        }
        await this.sleep(jittered);
      }
    }
  }

  /** A backoff sleep that a stop() cuts short but an append does not. */
  private async sleep(ms: number): Promise<void> {
    const until = Date.now() + ms;
    while (this.running && Date.now() < until) await this.pause(Math.min(until - Date.now(), 50));
  }
}
