/**
 * Where session events go. The recording issue replaces the JSON-lines file with the spooled,
 * hash-chained store; adapters only ever see this interface.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { Command, Identity, Protocol } from '../core/command.js';
import type { Decision } from '../policy/index.js';

export type SessionEvent =
  | { type: 'session.start'; identity: Identity; connection: string; protocol: Protocol; client: string }
  | {
      type: 'command';
      commands: Pick<Command, 'text' | 'operations' | 'resources'>[];
      decision: Pick<Decision, 'action' | 'policy' | 'rule' | 'reason' | 'observed' | 'grant'>;
      approval?: string;
    }
  | {
      type: 'result';
      rows?: number;
      tag?: string;
      maskedFields?: number;
      sample?: (string | null)[][];
      /** The HTTP proxy's request/response pair; absent for other protocols. */
      http?: HttpExchange;
    }
  | { type: 'error'; message: string; code?: string }
  | { type: 'session.end'; reason: string }
  /**
   * One chunk of an SSH or exec terminal stream, as an asciicast v2 event ("o" for stdout and
   * stderr, "i" for stdin). `data` is base64 of the raw bytes, so binary output and split UTF-8
   * sequences survive; `elapsedMs` counts from the session's start.
   */
  | { type: 'terminal'; stream: 'stdin' | 'stdout' | 'stderr'; data: string; elapsedMs: number }
  /** The terminal was resized (asciicast v2 "r" event); `elapsedMs` counts from the session's start. */
  | { type: 'resize'; cols: number; rows: number; elapsedMs?: number };

/** One HTTP exchange as recorded: an allow-list of headers (never credentials), bodies cut and masked. */
export interface HttpExchange {
  status: number;
  requestHeaders: Record<string, string>;
  responseHeaders: Record<string, string>;
  requestBody?: string;
  responseBody?: string;
  /** A body was longer than the recording bound and is cut at it. */
  truncated?: boolean;
}

/** Whether the recorder can take a new command's events; a `false` makes the enforcer refuse (fail closed). */
export type RecorderReadiness = { ok: true } | { ok: false; reason: string };

/** Every event but terminal output, which is recorded from its raw bytes (`recordTerminal`). */
export type RecordableEvent = Exclude<SessionEvent, { type: 'terminal' }>;

/** One chunk of a terminal stream as it crossed the proxy. */
export interface TerminalChunk {
  stream: 'stdin' | 'stdout' | 'stderr';
  /** The raw bytes; the recorder copies what it keeps, so the caller may reuse the buffer. */
  bytes: Buffer;
  /** Milliseconds since the session started. */
  elapsedMs: number;
}

/** The recorded form of a terminal chunk: its bytes as base64 (see SessionEvent). */
export function terminalEvent(chunk: TerminalChunk): Extract<SessionEvent, { type: 'terminal' }> {
  return {
    type: 'terminal',
    stream: chunk.stream,
    data: chunk.bytes.toString('base64'),
    elapsedMs: chunk.elapsedMs,
  };
}

export interface SessionRecorder {
  /** Records one event; it has reached durable-enough storage (the spool) when this returns. */
  record(session: string, event: RecordableEvent): void;
  /**
   * Records terminal output (SSH channels, exec streams). It takes the bytes, not their base64, so
   * the recorder encodes each byte once, merges chunks by copying bytes rather than decoding and
   * re-encoding, and knows the encoded text needs no JSON escaping: terminal output is most of
   * what a sidecar records, byte for byte.
   */
  recordTerminal(session: string, chunk: TerminalChunk): void;
  /**
   * Asked before a command runs: a recorder that cannot promise to keep what the command does
   * (a full spool, a broken disk) says no, and the command is refused rather than run unrecorded.
   */
  accepting(): RecorderReadiness;
}

/**
 * Appends one JSON object per line to a file kept open. Events of one event-loop turn are written
 * together at the end of that turn (one write, not one per event); a `command` event is written at
 * once, before the command is forwarded. What a crash can lose is the results of the current turn.
 */
export class JsonLinesRecorder implements SessionRecorder {
  private readonly fd: number;
  private pending = '';
  private scheduled = false;

  constructor(
    path: string,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.fd = openSync(path, 'a', 0o600);
  }

  accepting(): RecorderReadiness {
    return { ok: true };
  }

  recordTerminal(session: string, chunk: TerminalChunk): void {
    this.record(session, terminalEvent(chunk));
  }

  record(session: string, event: SessionEvent): void {
    this.pending += `${JSON.stringify({ time: this.now().toISOString(), session, ...event })}\n`;
    if (event.type === 'command') {
      this.flush();
    } else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  flush(): void {
    this.scheduled = false;
    if (this.pending === '') return;
    const text = this.pending;
    this.pending = '';
    writeSync(this.fd, text);
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

/** Keeps events in memory: for the demo's replay and for tests that read what was recorded. */
export class MemoryRecorder implements SessionRecorder {
  readonly events: ({ session: string } & SessionEvent)[] = [];
  accepting(): RecorderReadiness {
    return { ok: true };
  }
  record(session: string, event: SessionEvent): void {
    this.events.push({ session, ...event });
  }
  recordTerminal(session: string, chunk: TerminalChunk): void {
    this.record(session, terminalEvent(chunk));
  }
}
