/**
 * The sidecar's `SessionRecorder`: seals each event into its session's hash chain, strips
 * credentials, and appends it to the spool (a command before `record` returns, so it is kept
 * before the command it describes runs; other events by the end of the turn, below). The shipper moves it to the store later. `accepting()` turns false
 * when the unshipped part of the spool reaches its bound or the spool cannot be written: the
 * enforcer then refuses new commands, while open sessions' events (results, errors, ends) are
 * still spooled.
 *
 * Terminal chunks are coalesced: consecutive chunks of one session and stream that arrive within
 * `windowMs` (and up to `maxBytes` of base64) become one `terminal` event carrying the earliest
 * chunk's `elapsedMs` and time. Per-event costs (sealing, hashing, a write) dominate recording a
 * terminal stream otherwise. The pending chunks are spooled before any other event of the session,
 * at session end, when the window or the byte bound is reached, and on `flush()`. What a crash can
 * lose is therefore at most `windowMs` (and at most `maxBytes`) of terminal output per open session.
 *
 * Writes are batched per event-loop turn: a `command` event (the decision, recorded before the
 * command is forwarded or refused) and a `session.end` are in the spool when `record` returns,
 * written together with every event sealed before them; any other event (session starts, results,
 * errors, terminal output) is sealed into its chain at once and written with the next command or
 * session end, once 1 MiB is queued, or at the end of the event-loop turn (`setImmediate`),
 * whichever comes first. So the
 * events of many requests handled in one turn cost one `write`, what a command describes is kept
 * before it runs, and a process kill (SIGKILL, OOM) can lose at most the results of the turn it
 * interrupted, never a decision. A batch that cannot be written is lost whole, logged, and leaves
 * a gap in its sessions' `seq` that `crewgate verify` reports.
 */
import type { Logger } from 'pino';
import type { SidecarMetrics } from '../enforcement/metrics.js';
import type {
  RecordableEvent,
  RecorderReadiness,
  SessionRecorder,
  TerminalChunk,
} from '../enforcement/recorder.js';
import { LineBuffer } from './line-buffer.js';
import { sealRedactedToLine, sealTerminalInto, type ChainLink } from './recorded-event.js';
import type { Spool } from './spool.js';

export interface SpoolingRecorderDeps {
  spool: Spool;
  /** New commands are refused once this many bytes are spooled and not yet shipped. */
  maxBytes: number;
  now?: () => Date;
  metrics?: SidecarMetrics;
  logger?: Logger;
  /** Terminal chunk coalescing (see above); `false` spools one event per chunk. */
  coalesceTerminal?: { windowMs: number; maxBytes: number } | false;
  /**
   * Told each session's final hash once its end is spooled (the copy the control plane keeps).
   * Must not block or throw; a throw is logged and ignored.
   */
  onSessionEnd?: (summary: SessionSummary) => void;
}

/** A recorded session's end: what the operator keeps where the sidecar cannot rewrite it. */
export interface SessionSummary {
  session: string;
  /** Number of events, `session.end` included (its seq + 1). */
  events: number;
  /** The `session.end` event's hash. */
  finalHash: string;
}

/**
 * Defaults: 5 ms is below what a terminal user perceives; 64 KiB of output merges the 32 KiB chunks
 * SSH and exec streams arrive in two to an event, and keeps its base64 (87 KiB) and spool line
 * under V8's 128 KiB bound for ordinary heap objects: above it every string is a large object,
 * which measured three times the CPU per recorded byte (mmap and page faults per string).
 */
export const TERMINAL_COALESCING = { windowMs: 5, maxBytes: 64 * 1024 } as const;

/**
 * Queued lines are written once they reach this many bytes, whatever the turn: about sixteen
 * coalesced terminal events, few enough writes to keep their cost per byte, and a buffer that
 * holds them (plus one more event) without ever growing.
 */
const WRITE_AT_BYTES = 1024 * 1024;

interface PendingTerminal {
  stream: TerminalChunk['stream'];
  /** The chunks' bytes copied in arrival order: a buffer of `coalescing.maxBytes` from the recorder's spares. */
  buffer: Buffer;
  length: number;
  elapsedMs: number;
  time: Date;
}

/** Coalescing buffers kept for reuse: one per session with output held at once, beyond this many they are dropped. */
const SPARE_COALESCING_BUFFERS = 16;

export class SpoolingRecorder implements SessionRecorder {
  private readonly chains = new Map<string, ChainLink>();
  private readonly now: () => Date;
  private failure: Error | undefined;
  private readonly coalescing: { windowMs: number; maxBytes: number } | undefined;
  private readonly pending = new Map<string, PendingTerminal>();
  private timer: NodeJS.Timeout | undefined;
  /** Sealed lines not yet written (see above), and what they are, for the log if the write fails. */
  private readonly queued = new LineBuffer(WRITE_AT_BYTES + 256 * 1024);
  private readonly spareBuffers: Buffer[] = [];
  private queuedEvents: { session: string; seq: number; type: string }[] = [];
  private writeScheduled = false;

  constructor(private readonly deps: SpoolingRecorderDeps) {
    if (!(deps.maxBytes > 0)) throw new RangeError(`spool bound must be positive, got ${deps.maxBytes}`);
    this.now = deps.now ?? (() => new Date());
    this.coalescing =
      deps.coalesceTerminal === false ? undefined : (deps.coalesceTerminal ?? TERMINAL_COALESCING);
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

  record(session: string, event: RecordableEvent): void {
    const held = this.pending.get(session);
    if (held) this.spoolPending(session, held);
    this.spool(session, event, this.now());
  }

  recordTerminal(session: string, chunk: TerminalChunk): void {
    const held = this.pending.get(session);
    const coalescing = this.coalescing;
    if (
      held &&
      held.stream === chunk.stream &&
      coalescing &&
      held.length + chunk.bytes.length <= coalescing.maxBytes
    ) {
      held.length += chunk.bytes.copy(held.buffer, held.length);
      return;
    }
    if (held) this.spoolPending(session, held);
    // Sealing reads the bytes before it returns, so a chunk sealed at once needs no copy.
    if (!coalescing || chunk.bytes.length >= coalescing.maxBytes)
      return this.spoolTerminal(session, chunk, this.now());
    const buffer = this.spareBuffers.pop() ?? Buffer.allocUnsafe(coalescing.maxBytes);
    this.pending.set(session, {
      stream: chunk.stream,
      buffer,
      length: chunk.bytes.copy(buffer, 0),
      elapsedMs: chunk.elapsedMs,
      time: this.now(),
    });
    this.timer ??= setTimeout(() => this.flush(), coalescing.windowMs);
  }

  /** Spools every held terminal chunk and every queued event now (the window's timer, and shutdown). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const [session, held] of this.pending) this.spoolPending(session, held);
    this.writeQueued();
  }

  private spoolPending(session: string, held: PendingTerminal): void {
    this.pending.delete(session);
    const bytes = held.buffer.subarray(0, held.length);
    this.spoolTerminal(session, { stream: held.stream, bytes, elapsedMs: held.elapsedMs }, held.time);
    if (this.spareBuffers.length < SPARE_COALESCING_BUFFERS) this.spareBuffers.push(held.buffer);
  }

  /**
   * Terminal output is stored as base64, which has no space, quote or dot: neither redaction
   * pattern (a JWS, `PASSWORD '...'`) can match it, so it is sealed without the scan over every
   * byte of output that other events get.
   */
  private spoolTerminal(session: string, chunk: TerminalChunk, time: Date): void {
    const link = sealTerminalInto(this.queued, session, chunk, time, this.chains.get(session));
    this.queue(session, 'terminal', link);
  }

  /** Any other event is redacted on its way into the canonical text sealing hashes (one walk, no copy). */
  private spool(session: string, event: RecordableEvent, time: Date): void {
    const { link, line } = sealRedactedToLine(session, event, time, this.chains.get(session));
    this.queued.writeUtf8(line);
    this.queue(session, event.type, link);
  }

  /** Accounts for a line sealed into `queued`; a command or session end is written at once (see above). */
  private queue(session: string, type: string, sealed: ChainLink): void {
    this.queuedEvents.push({ session, seq: sealed.seq, type });
    if (type === 'session.end') this.chains.delete(session);
    else this.chains.set(session, sealed);
    if (type !== 'command' && type !== 'session.end') {
      // A turn that relays a burst of output (many socket reads before the loop's check phase)
      // would otherwise grow the buffer, copying it, to megabytes: write it out instead.
      if (this.queued.length >= WRITE_AT_BYTES) {
        this.writeQueued();
        return;
      }
      if (!this.writeScheduled) {
        this.writeScheduled = true;
        setImmediate(() => this.writeQueued());
      }
      return;
    }
    if (!this.writeQueued() || type !== 'session.end') return;
    // A copy of the final hash outside the store, for whoever keeps the sidecar's logs.
    const summary = { session, events: sealed.seq + 1, finalHash: sealed.hash };
    this.deps.logger?.info(summary, 'session recorded');
    try {
      this.deps.onSessionEnd?.(summary);
    } catch (error) {
      this.deps.logger?.warn(
        { session, err: error instanceof Error ? error.message : String(error) },
        'cannot report a session end',
      );
    }
  }

  /** Writes the queued lines with one write; false when they could not be written (and are lost). */
  private writeQueued(): boolean {
    this.writeScheduled = false;
    if (this.queued.length === 0) return true;
    const events = this.queuedEvents;
    this.queuedEvents = [];
    try {
      this.deps.spool.appendBytes(this.queued.bytes());
      this.failure = undefined;
    } catch (error) {
      // The events are lost; say so loudly and refuse new commands until the spool writes again.
      this.failure = error instanceof Error ? error : new Error(String(error));
      for (const e of events)
        this.deps.logger?.error({ ...e, err: this.failure.message }, 'cannot spool a session event');
      return false;
    } finally {
      this.queued.clear();
    }
    this.deps.metrics?.recordingEventsSpooled.inc(events.length);
    this.deps.metrics?.recordingSpoolBytes.set(this.deps.spool.depth);
    return true;
  }

  /** Sessions with events and no end yet. */
  get openSessions(): number {
    return this.chains.size;
  }
}
