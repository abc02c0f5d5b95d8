/**
 * Turns the demultiplexed streams of one exec or attach session into recorder events: stdin,
 * stdout and stderr as asciicast-style `terminal` chunks, resizes as `resize`, and at the end a
 * `result` whose tag carries the exit status the error channel reported (`exit status 0`). The
 * listener owns the recorder session and records its `session.end` when the connection closes,
 * right after this. Both wire protocols feed it the same way, so a WebSocket and a SPDY session
 * record identically.
 */
import type { SessionRecorder } from '../../enforcement/recorder.js';
import type { ExecChannel } from './channel-protocol.js';

/** What the error channel said, read as Kubernetes does (remotecommand v4 `Status`, or text before v4). */
export type ExecOutcome =
  { kind: 'exit'; code: number } | { kind: 'error'; message: string } | { kind: 'unknown' };

const MAX_ERROR_TEXT = 64 * 1024;

/** Reads the error channel's bytes: `Success`, `NonZeroExitCode` with an `ExitCode` cause, or a failure message. */
export function parseExecOutcome(text: string, statusProtocol: boolean): ExecOutcome {
  const trimmed = text.trim();
  if (trimmed === '') return statusProtocol ? { kind: 'unknown' } : { kind: 'exit', code: 0 };
  if (!statusProtocol) return { kind: 'error', message: trimmed };
  let status: unknown;
  try {
    status = JSON.parse(trimmed);
  } catch {
    return { kind: 'error', message: trimmed.slice(0, 500) };
  }
  const s = status as {
    status?: string;
    reason?: string;
    message?: string;
    details?: { causes?: { reason?: string; message?: string }[] };
  };
  if (s.status === 'Success') return { kind: 'exit', code: 0 };
  if (s.reason === 'NonZeroExitCode') {
    const cause = s.details?.causes?.find((c) => c.reason === 'ExitCode');
    const code = Number(cause?.message);
    if (Number.isInteger(code)) return { kind: 'exit', code };
  }
  return { kind: 'error', message: s.message ?? trimmed.slice(0, 500) };
}

export class ExecRecording {
  private readonly started = performance.now();
  private errorText = '';
  private resizeText = '';
  private ended = false;

  constructor(
    private readonly recorder: SessionRecorder,
    private readonly session: string,
    private readonly statusProtocol: boolean,
  ) {}

  private elapsedMs(): number {
    return Math.round(performance.now() - this.started);
  }

  /** One chunk of one channel, as it crossed the relay (in either direction). */
  chunk(channel: ExecChannel, data: Buffer, framing: 'message' | 'stream'): void {
    if (this.ended || data.length === 0) return;
    switch (channel) {
      case 'stdin':
      case 'stdout':
      case 'stderr':
        this.recorder.recordTerminal(this.session, {
          stream: channel,
          bytes: data,
          elapsedMs: this.elapsedMs(),
        });
        return;
      case 'resize':
        if (framing === 'message') this.resize(data.toString('utf8'));
        else this.resizeStream(data.toString('utf8'));
        return;
      case 'error':
        if (this.errorText.length < MAX_ERROR_TEXT) this.errorText += data.toString('utf8');
        return;
    }
  }

  /** SPDY's resize stream is a JSON encoder's output: one object per line. */
  private resizeStream(text: string): void {
    this.resizeText += text;
    let newline = this.resizeText.indexOf('\n');
    while (newline >= 0) {
      this.resize(this.resizeText.slice(0, newline));
      this.resizeText = this.resizeText.slice(newline + 1);
      newline = this.resizeText.indexOf('\n');
    }
    if (this.resizeText.length > 4096) this.resizeText = '';
  }

  private resize(json: string): void {
    if (json.trim() === '') return;
    try {
      const size = JSON.parse(json) as { Width?: unknown; Height?: unknown };
      if (typeof size.Width === 'number' && typeof size.Height === 'number')
        this.recorder.record(this.session, {
          type: 'resize',
          cols: size.Width,
          rows: size.Height,
          elapsedMs: this.elapsedMs(),
        });
    } catch {
      this.recorder.record(this.session, { type: 'error', message: 'unreadable terminal resize message' });
    }
  }

  /** What the error channel said so far. */
  outcome(): ExecOutcome {
    return parseExecOutcome(this.errorText, this.statusProtocol);
  }

  /** Records the outcome once; `why` names who closed the stream when no exit status arrived. */
  end(why: string): void {
    if (this.ended) return;
    this.ended = true;
    if (this.resizeText.trim() !== '') this.resize(this.resizeText);
    const outcome = this.outcome();
    const tag =
      outcome.kind === 'exit'
        ? `exit status ${outcome.code}`
        : outcome.kind === 'error'
          ? `exec failed: ${outcome.message}`
          : why;
    this.recorder.record(this.session, { type: 'result', tag });
  }
}
