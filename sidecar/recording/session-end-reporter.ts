/**
 * Sends each session's final hash to the control plane (`POST /v1/sessions/end`), which keeps it
 * where the sidecar and the store's admin cannot rewrite it (a Kubernetes Event on the pod and the
 * operator's log), so `crewgate verify` can tell a store whose trailing events were deleted.
 *
 * Off the hot path: `report` only queues. One request at a time, each retried with a doubling
 * delay up to `attempts` times; the queue is bounded (the oldest report is dropped, and said so in
 * the log, once it is full). Nothing here can block or fail a session: the end record in the spool
 * and the sidecar's log line carry the same hash whatever happens to this copy.
 */
import type { Logger } from 'pino';
import type { SidecarMetrics } from '../enforcement/metrics.js';
import type { SessionSummary } from './spooling-recorder.js';

export interface SessionEndReporterOptions {
  /** Sends one summary; rejects on any failure (the reporter retries). */
  send(summary: SessionSummary): Promise<void>;
  logger?: Logger;
  metrics?: SidecarMetrics;
  /** Tries per summary (default 5). */
  attempts?: number;
  /** First retry delay, doubled per try up to `maxDelayMs` (defaults 200 ms and 10 s). */
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** Summaries waiting at most (default 10,000). */
  maxQueued?: number;
}

export class SessionEndReporter {
  private readonly queue: SessionSummary[] = [];
  private running: Promise<void> | undefined;
  private stopped = false;
  private wake: (() => void) | undefined;
  /** Summaries the control plane accepted, and those given up on: for tests and metrics. */
  delivered = 0;
  dropped = 0;

  constructor(private readonly options: SessionEndReporterOptions) {}

  /** Queues `summary`; returns at once. */
  report(summary: SessionSummary): void {
    if (this.stopped) return;
    if (this.queue.length >= (this.options.maxQueued ?? 10_000)) {
      const lost = this.queue.shift();
      this.dropped += 1;
      this.options.metrics?.recordingSessionEndReports.inc({ outcome: 'dropped' });
      this.options.logger?.warn(
        { session: lost?.session },
        'session-end report queue full; dropped the oldest',
      );
    }
    this.queue.push(summary);
    this.running ??= this.drain().finally(() => (this.running = undefined));
  }

  /** Waits up to `ms` for the queue to empty, then stops (what is left is only in the sidecar's log). */
  async stop(ms = 0): Promise<void> {
    const deadline = new Promise((r) => setTimeout(r, ms).unref());
    if (this.running) await Promise.race([this.running, deadline]);
    this.stopped = true;
    this.wake?.();
  }

  private async drain(): Promise<void> {
    const attempts = this.options.attempts ?? 5;
    while (!this.stopped && this.queue.length > 0) {
      // Taken off the queue first: a full queue then drops a waiting summary, never the one in flight.
      const summary = this.queue.shift()!;
      let delay = this.options.initialDelayMs ?? 200;
      for (let attempt = 1; ; attempt++) {
        try {
          await this.options.send(summary);
          this.delivered += 1;
          this.options.metrics?.recordingSessionEndReports.inc({ outcome: 'delivered' });
          break;
        } catch (error) {
          const err = error instanceof Error ? error.message : String(error);
          if (attempt >= attempts || this.stopped) {
            this.dropped += 1;
            this.options.metrics?.recordingSessionEndReports.inc({ outcome: 'dropped' });
            this.options.logger?.error(
              { ...summary, attempts: attempt, err },
              'cannot report a session end to the control plane; its final hash is only in this log',
            );
            break;
          }
          this.options.logger?.warn(
            { session: summary.session, attempt, err },
            'session-end report failed; retrying',
          );
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, delay);
            this.wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
          delay = Math.min(delay * 2, this.options.maxDelayMs ?? 10_000);
        }
      }
    }
  }
}
