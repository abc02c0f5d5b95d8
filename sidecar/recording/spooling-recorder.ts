/**
 * The sidecar's `SessionRecorder`: seals each event into its session's hash chain, strips
 * credentials, and appends it to the spool before returning, so the event is kept before the
 * command it describes runs. The shipper moves it to the store later. `accepting()` turns false
 * when the unshipped part of the spool reaches its bound or the spool cannot be written: the
 * enforcer then refuses new commands, while open sessions' events (results, errors, ends) are
 * still spooled.
 */
import type { Logger } from 'pino';
import type { SidecarMetrics } from '../enforcement/metrics.js';
import type { RecorderReadiness, SessionEvent, SessionRecorder } from '../enforcement/recorder.js';
import { sealEvent, type RecordedEvent } from './recorded-event.js';
import { redactSecrets } from './redact.js';
import type { Spool } from './spool.js';

export interface SpoolingRecorderDeps {
  spool: Spool;
  /** New commands are refused once this many bytes are spooled and not yet shipped. */
  maxBytes: number;
  now?: () => Date;
  metrics?: SidecarMetrics;
  logger?: Logger;
}

export class SpoolingRecorder implements SessionRecorder {
  private readonly chains = new Map<string, Pick<RecordedEvent, 'seq' | 'hash' | 'sessionStarted'>>();
  private readonly now: () => Date;
  private failure: Error | undefined;

  constructor(private readonly deps: SpoolingRecorderDeps) {
    if (!(deps.maxBytes > 0)) throw new RangeError(`spool bound must be positive, got ${deps.maxBytes}`);
    this.now = deps.now ?? (() => new Date());
  }

  accepting(): RecorderReadiness {
    if (this.failure)
      return { ok: false, reason: `the recording spool cannot be written (${this.failure.message})` };
    const depth = this.deps.spool.depth;
    if (depth >= this.deps.maxBytes) {
      return {
        ok: false,
        reason: `the recording spool holds ${depth} bytes not yet shipped to the recording store (bound ${this.deps.maxBytes}); new commands resume once the store catches up`,
      };
    }
    return { ok: true };
  }

  record(session: string, event: SessionEvent): void {
    const sealed = sealEvent(session, redactSecrets(event), this.now(), this.chains.get(session));
    try {
      this.deps.spool.append(sealed);
      this.failure = undefined;
    } catch (error) {
      // The event is lost; say so loudly and refuse new commands until the spool writes again.
      this.failure = error instanceof Error ? error : new Error(String(error));
      this.deps.logger?.error(
        { session, seq: sealed.seq, type: sealed.type, err: this.failure.message },
        'cannot spool a session event',
      );
      return;
    }
    this.deps.metrics?.recordingEventsSpooled.inc();
    this.deps.metrics?.recordingSpoolBytes.set(this.deps.spool.depth);
    if (event.type === 'session.end') {
      this.chains.delete(session);
      // A copy of the final hash outside the store, for whoever keeps the sidecar's logs.
      this.deps.logger?.info({ session, events: sealed.seq + 1, finalHash: sealed.hash }, 'session recorded');
    } else {
      this.chains.set(session, sealed);
    }
  }

  /** Sessions with events and no end yet. */
  get openSessions(): number {
    return this.chains.size;
  }
}
