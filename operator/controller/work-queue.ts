/**
 * A small rate-limited work queue in the manner of client-go's workqueue: a key is queued at most
 * once however often it is added, is never processed by two workers at once (re-added while in
 * flight, it runs again after), and a failed key comes back after an exponential backoff.
 */

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

export interface WorkQueueDeps {
  /** Timers are injectable so tests can run backoff without waiting. */
  setTimeout: (fn: () => void, ms: number) => unknown;
  clearTimeout: (handle: unknown) => void;
}

const realTimers: WorkQueueDeps = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly delayed = new Map<string, unknown>();
  private waiters: (() => void)[] = [];
  private shuttingDown = false;

  constructor(
    private readonly backoff: BackoffPolicy = { baseMs: 200, maxMs: 60_000 },
    private readonly deps: WorkQueueDeps = realTimers,
  ) {}

  add(key: string): void {
    if (this.shuttingDown) return;
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.queue.push(key);
    this.waiters.shift()?.();
  }

  /** Adds the key after `ms`; a later call for the same key replaces an earlier one. */
  addAfter(key: string, ms: number): void {
    const existing = this.delayed.get(key);
    if (existing !== undefined) this.deps.clearTimeout(existing);
    this.delayed.set(
      key,
      this.deps.setTimeout(
        () => {
          this.delayed.delete(key);
          this.add(key);
        },
        Math.max(0, ms),
      ),
    );
  }

  /** Requeues a failed key with exponential backoff; returns the delay chosen. */
  addRateLimited(key: string): number {
    const attempts = (this.failures.get(key) ?? 0) + 1;
    this.failures.set(key, attempts);
    const delay = Math.min(this.backoff.maxMs, this.backoff.baseMs * 2 ** (attempts - 1));
    this.addAfter(key, delay);
    return delay;
  }

  /** Forgets a key's failures after it succeeded. */
  forget(key: string): void {
    this.failures.delete(key);
  }

  /** The next key to process, or undefined once shut down. */
  async get(): Promise<string | undefined> {
    while (this.queue.length === 0) {
      if (this.shuttingDown) return undefined;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    const key = this.queue.shift()!;
    this.queued.delete(key);
    this.processing.add(key);
    return key;
  }

  /** Marks a key processed; one re-added meanwhile is queued again. */
  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.delete(key)) this.add(key);
  }

  get length(): number {
    return this.queue.length;
  }

  shutDown(): void {
    this.shuttingDown = true;
    for (const handle of this.delayed.values()) this.deps.clearTimeout(handle);
    this.delayed.clear();
    for (const w of this.waiters.splice(0)) w();
  }
}
