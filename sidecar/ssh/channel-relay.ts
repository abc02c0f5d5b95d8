/**
 * Relays one allowed SSH session channel between the agent (the sidecar's server channel) and the
 * target (ssh2 client channel): stdin up, stdout and stderr down through the line masker, window
 * changes and signals passed on, every byte recorded as asciicast-style terminal events, and the
 * target's exit status (RFC 4254 §6.10) handed back to the agent last, after the output.
 */
import type { ClientChannel, ServerChannel } from 'ssh2';
import type { Logger } from 'pino';
import type { SidecarMetrics } from '../enforcement/metrics.js';
import type { SessionRecorder } from '../enforcement/recorder.js';
import type { Masker } from '../masking/index.js';
import { FlowGate } from './flow-gate.js';
import { LineMasker } from './line-masker.js';

/** A terminal that went quiet this long with a partial line held gets it scanned and shown. */
export const TTY_FLUSH_MS = 50;
/** Exit status for refusals by the sidecar, as a shell uses 126 for "found but cannot run". */
export const REFUSED_STATUS = 126;

export interface RelayDeps {
  session: string;
  recorder: SessionRecorder;
  metrics: SidecarMetrics;
  logger: Logger;
  /** Milliseconds since the recorded session started. */
  elapsedMs: () => number;
  /** Active masker for this identity, or undefined when no masking rule applies. */
  masker?: Masker;
  maxLineBytes: number;
  tty: boolean;
}

type Exit = { code: number } | { signal: string; dumped: boolean; description: string };

/** Writes a refusal the way the target would fail a command: one stderr line, a status, close. */
export function refuseChannel(channel: ServerChannel, line: string, status = REFUSED_STATUS): void {
  if (!channel.writable) return;
  channel.stderr.write(`${line}\n`);
  channel.exit(status);
  channel.end();
}

/** One stream from the target to the agent, masked and recorded. */
class Downstream {
  private readonly lines: LineMasker | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly gate: FlowGate;

  constructor(
    private readonly name: 'stdout' | 'stderr',
    from: NodeJS.ReadableStream,
    private readonly to: NodeJS.WritableStream,
    private readonly relay: ChannelRelay,
    masker: Masker | undefined,
    maxLineBytes: number,
  ) {
    this.lines = masker ? new LineMasker(masker, maxLineBytes) : undefined;
    this.gate = new FlowGate(from);
  }

  push(chunk: Buffer): void {
    if (!this.lines) return this.emit(chunk, 0);
    const out = this.lines.push(chunk);
    if (out.binary) {
      this.relay.refuseBinary(this.name);
      return;
    }
    if (out.data.length > 0) this.emit(out.data, out.maskedFields);
    if (this.relay.deps.tty && this.lines.held > 0 && !this.timer)
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.flush();
      }, TTY_FLUSH_MS);
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.lines) return;
    const out = this.lines.flush();
    if (out.binary) this.relay.refuseBinary(this.name);
    else if (out.data.length > 0) this.emit(out.data, out.maskedFields);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private emit(data: Buffer, maskedFields: number): void {
    const { deps } = this.relay;
    if (maskedFields > 0) deps.metrics.maskedFields.inc({ protocol: 'ssh' }, maskedFields);
    deps.metrics.bytes.inc({ protocol: 'ssh', direction: 'downstream' }, data.length);
    deps.recorder.recordTerminal(deps.session, {
      stream: this.name,
      bytes: data,
      elapsedMs: deps.elapsedMs(),
    });
    this.gate.write(this.to, data);
  }
}

export class ChannelRelay {
  private exit: Exit | undefined;
  private refused = false;
  private pendingEnds = 2;
  private upstreamClosed = false;
  private finished = false;
  private readonly stdout: Downstream;
  private readonly stderr: Downstream;
  /** Called once, when the agent's channel is done. */
  onDone: (exit: Exit | undefined) => void = () => undefined;

  constructor(
    private readonly client: ServerChannel,
    private readonly upstream: ClientChannel,
    readonly deps: RelayDeps,
  ) {
    this.stdout = new Downstream('stdout', upstream, client, this, deps.masker, deps.maxLineBytes);
    this.stderr = new Downstream(
      'stderr',
      upstream.stderr,
      client.stderr,
      this,
      deps.masker,
      deps.maxLineBytes,
    );
  }

  start(): void {
    const { client, upstream, deps } = this;
    // A stream error ends this channel only; unhandled it would end the process.
    const onError = (error: Error) => deps.logger.info({ err: error.message }, 'ssh channel stream error');
    for (const stream of [client, client.stderr, upstream, upstream.stderr]) stream.on('error', onError);
    const stdin = new FlowGate(client);
    client.on('data', (chunk: Buffer) => {
      deps.metrics.bytes.inc({ protocol: 'ssh', direction: 'upstream' }, chunk.length);
      deps.recorder.recordTerminal(deps.session, {
        stream: 'stdin',
        bytes: chunk,
        elapsedMs: deps.elapsedMs(),
      });
      stdin.write(upstream, chunk);
    });
    client.on('end', () => upstream.end());
    client.on('close', () => {
      // The agent went away: nothing more runs on its behalf.
      upstream.close();
      this.finish();
    });

    const down = (from: NodeJS.ReadableStream, to: Downstream) => {
      from.on('data', (chunk: Buffer) => {
        if (!this.refused) to.push(chunk);
      });
      from.on('end', () => {
        if (!this.refused) to.flush();
        this.pendingEnds--;
        this.maybeFinish();
      });
    };
    down(upstream, this.stdout);
    down(upstream.stderr, this.stderr);
    upstream.on('exit', (code: number | null, signal?: string, dumped?: boolean, description?: string) => {
      // A refusal's 126 stands: the agent did not get the output the target's status is about.
      if (this.refused) return;
      this.exit =
        code !== null && code !== undefined
          ? { code }
          : { signal: signal ?? 'KILL', dumped: Boolean(dumped), description: description ?? '' };
    });
    upstream.on('close', () => {
      this.upstreamClosed = true;
      this.maybeFinish();
    });
  }

  resize(rows: number, cols: number, height: number, width: number): void {
    this.upstream.setWindow(rows, cols, height, width);
  }

  signal(name: string): void {
    this.upstream.signal(name);
  }

  /** Binary output while masking applies: the rest of the stream is refused, never half-masked. */
  refuseBinary(stream: 'stdout' | 'stderr'): void {
    if (this.refused) return;
    this.refused = true;
    const message = `crewgate: ${stream} is binary and a masking rule applies to you, so it cannot be masked; the rest of the output is refused`;
    this.deps.logger.info({ stream }, 'binary output refused under masking');
    this.deps.recorder.record(this.deps.session, { type: 'error', message, code: 'binary-output-refused' });
    this.exit = { code: REFUSED_STATUS };
    this.client.stderr.write(`${message}\n`);
    this.upstream.close();
  }

  private maybeFinish(): void {
    if (this.pendingEnds > 0 || !this.upstreamClosed) return;
    if (this.exit && this.client.writable) {
      if ('code' in this.exit) this.client.exit(this.exit.code);
      else this.client.exit(this.exit.signal, this.exit.dumped, this.exit.description);
    }
    this.client.end();
    this.finish();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.stdout.stop();
    this.stderr.stop();
    this.onDone(this.exit);
  }
}
