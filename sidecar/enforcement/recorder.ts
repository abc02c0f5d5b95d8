/**
 * Where session events go. The recording issue replaces the JSON-lines file with the spooled,
 * hash-chained store; adapters only ever see this interface.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { Command, Identity, Protocol } from '../core/command.js';
import type { Decision } from '../policy/index.js';

export type SessionEvent =
  | { type: 'session.start'; identity: Identity; connection: string; protocol: Protocol; client: string }
  | { type: 'command'; commands: Pick<Command, 'text' | 'operations' | 'resources'>[]; decision: Pick<Decision, 'action' | 'policy' | 'rule' | 'reason' | 'observed' | 'grant'>; approval?: string }
  | { type: 'result'; rows?: number; tag?: string; maskedFields?: number; sample?: (string | null)[][] }
  | { type: 'error'; message: string; code?: string }
  | { type: 'session.end'; reason: string };

export interface SessionRecorder {
  record(session: string, event: SessionEvent): void;
}

/**
 * Appends one JSON object per line; synchronous, so an event is in the file before the command
 * runs. The file stays open: one write per event, not an open and a close.
 */
export class JsonLinesRecorder implements SessionRecorder {
  private readonly fd: number;

  constructor(
    path: string,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.fd = openSync(path, 'a', 0o600);
  }

  record(session: string, event: SessionEvent): void {
    writeSync(this.fd, `${JSON.stringify({ time: this.now().toISOString(), session, ...event })}\n`);
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** Keeps events in memory: for the demo's replay and for tests that read what was recorded. */
export class MemoryRecorder implements SessionRecorder {
  readonly events: ({ session: string } & SessionEvent)[] = [];
  record(session: string, event: SessionEvent): void {
    this.events.push({ session, ...event });
  }
}
