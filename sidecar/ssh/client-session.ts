/**
 * One authenticated SSH client connection (one recorded session): every channel and global
 * request it makes becomes a Command judged by the Enforcer before anything reaches the target
 * (RFC 4254 §6-7). Allowed session channels are relayed to a channel of one upstream connection
 * per client connection, opened when the first allowed request needs it.
 */
import type { Logger } from 'pino';
import type {
  ClientChannel,
  Connection,
  PseudoTtyInfo,
  ServerChannel,
  Session,
  TcpipBindInfo,
  TcpipRequestInfo,
} from 'ssh2';
import type { Client } from 'ssh2';
import type { AdapterDeps, ResolvedTarget } from '../adapters/protocol-adapter.js';
import { classifySshRequest, type SshRequest } from '../classify/ssh/index.js';
import { toCommand, type Command, type Identity } from '../core/command.js';
import type { Verdict } from '../enforcement/enforcer.js';
import { maskerFor } from '../masking/index.js';
import { ChannelRelay, refuseChannel } from './channel-relay.js';
import { forwardedEnvironment } from './environment.js';
import { connectUpstream, UpstreamError } from './upstream.js';

/** ssh's own status for "the connection failed", which the agent's ssh client would also give. */
export const UPSTREAM_FAILED_STATUS = 255;

export interface SessionSettings {
  maxExecCommandBytes: number;
  maxLineBytes: number;
  upstreamTimeoutMs: number;
  idleTimeoutMs: number;
  ciphers?: string[];
}

export interface ClientSessionParams {
  id: string;
  connection: string;
  client: Connection;
  clientAddress: string;
  identity: Identity;
  target: () => Promise<ResolvedTarget>;
  deps: AdapterDeps;
  settings: SessionSettings;
  logger: Logger;
}

/** `crewgate: denied by POLICY/RULE: reason`, the one line a refused channel gets on stderr. */
export function denialLine(verdict: Extract<Verdict, { run: false }>): string {
  const { policy, rule } = verdict.decision;
  const by = policy ? ` by ${policy}${rule ? `/${rule}` : ' (default action)'}` : '';
  return `crewgate: denied${by}: ${verdict.reason}`;
}

interface ChannelState {
  pty?: PseudoTtyInfo;
  env: Record<string, string>;
  relay?: ChannelRelay;
}

export class ClientSession {
  private readonly started = performance.now();
  private target: Promise<ResolvedTarget> | undefined;
  private upstream: Promise<Client> | undefined;
  private readonly aborts = new Set<AbortController>();
  private openChannels = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  private closed = false;
  onClosed: () => void = () => undefined;

  constructor(private readonly p: ClientSessionParams) {}

  start(): void {
    const { client, deps, id } = this.p;
    deps.recorder.record(id, {
      type: 'session.start',
      identity: this.p.identity,
      connection: this.p.connection,
      protocol: 'ssh',
      client: this.p.clientAddress,
    });
    deps.metrics.activeSessions.inc({ protocol: 'ssh' });
    this.target = this.p.target();
    // A rejected target is reported on the first channel that needs it.
    this.target.catch(() => undefined);
    client.on('session', (accept) => this.onSession(accept()));
    client.on('tcpip', (accept, reject, info) => void this.onDirectTcpip(accept, reject, info));
    client.on(
      'request',
      (accept, reject, name, info) => void this.onGlobalRequest(accept, reject, name, info),
    );
    client.on('close', () => this.close('client closed the connection'));
    client.on('error', (error: Error) =>
      this.p.logger.info({ err: error.message }, 'ssh client connection error'),
    );
    this.armIdleTimer();
  }

  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.idleTimer);
    for (const abort of this.aborts) abort.abort(new Error('client disconnected'));
    this.upstream?.then((c) => c.end()).catch(() => undefined);
    this.p.client.end();
    this.p.deps.recorder.record(this.p.id, { type: 'session.end', reason });
    this.p.deps.metrics.activeSessions.dec({ protocol: 'ssh' });
    this.p.logger.info({ reason }, 'session ended');
    this.onClosed();
  }

  private elapsedMs = () => Math.round(performance.now() - this.started);

  /** No channel open for `idleTimeoutMs`: the connection is ended so it holds nothing. */
  private armIdleTimer(): void {
    clearTimeout(this.idleTimer);
    if (this.openChannels > 0 || this.closed) return;
    this.idleTimer = setTimeout(() => this.close('idle timeout'), this.p.settings.idleTimeoutMs);
    this.idleTimer.unref();
  }

  private channelOpened(): void {
    this.openChannels++;
    clearTimeout(this.idleTimer);
  }

  private channelClosed(): void {
    this.openChannels--;
    this.armIdleTimer();
  }

  private connectUpstream(target: ResolvedTarget): Promise<Client> {
    this.upstream ??= connectUpstream(target, {
      readyTimeoutMs: this.p.settings.upstreamTimeoutMs,
      ...(this.p.settings.ciphers ? { ciphers: this.p.settings.ciphers } : {}),
    }).then((c) => {
      c.on('close', () => {
        // The next channel opens a new upstream connection.
        this.upstream = undefined;
      });
      if (this.closed) c.end();
      return c;
    });
    const pending = this.upstream;
    pending.catch((error: unknown) => {
      if (this.upstream === pending) this.upstream = undefined;
      const message = error instanceof Error ? error.message : String(error);
      const code = error instanceof UpstreamError ? error.failure : 'unreachable';
      this.p.deps.recorder.record(this.p.id, { type: 'error', message, code });
      const level = code === 'host-key-mismatch' ? 'warn' : 'info';
      this.p.logger[level]({ err: message, failure: code }, 'upstream ssh connection refused');
    });
    return pending;
  }

  private async command(request: SshRequest, state?: ChannelState): Promise<Command> {
    const target = await this.target!;
    return toCommand(
      {
        connection: this.p.connection,
        protocol: 'ssh',
        identity: this.p.identity,
        attributes: { user: target.spec.ssh?.user ?? '', tty: Boolean(state?.pty) },
      },
      classifySshRequest(request),
    );
  }

  /** Judges and, for RequireApproval, waits, with notices going to `notify` and `closed` aborting. */
  private async decide(
    command: Command,
    notify: (message: string) => void,
    onClose?: (abort: () => void) => void,
    onHeld?: () => void,
  ): Promise<Verdict> {
    const { enforcer } = this.p.deps;
    const decision = enforcer.judge([command]);
    if (decision.action !== 'RequireApproval') return enforcer.verdict(this.p.id, [command], decision);
    onHeld?.();
    const abort = new AbortController();
    this.aborts.add(abort);
    onClose?.(() => abort.abort(new Error('channel closed')));
    try {
      return await enforcer.approval(this.p.id, [command], decision, {
        session: this.p.id,
        notify,
        signal: abort.signal,
      });
    } finally {
      this.aborts.delete(abort);
    }
  }

  private onSession(session: Session): void {
    const state: ChannelState = { env: {} };
    this.channelOpened();
    session.on('close', () => this.channelClosed());
    session.on('pty', (accept, _reject, info) => {
      state.pty = info;
      this.p.deps.recorder.record(this.p.id, {
        type: 'resize',
        cols: info.cols,
        rows: info.rows,
        elapsedMs: this.elapsedMs(),
      });
      accept?.();
    });
    session.on('env', (accept, reject, info) => {
      if (!forwardedEnvironment(info.key, info.val)) {
        this.p.logger.debug({ variable: info.key }, 'environment variable not forwarded');
        reject?.();
        return;
      }
      state.env[info.key] = info.val;
      accept?.();
    });
    session.on('window-change', (accept, _reject, info) => {
      this.p.deps.recorder.record(this.p.id, {
        type: 'resize',
        cols: info.cols,
        rows: info.rows,
        elapsedMs: this.elapsedMs(),
      });
      if (state.pty)
        Object.assign(state.pty, {
          cols: info.cols,
          rows: info.rows,
          width: info.width,
          height: info.height,
        });
      state.relay?.resize(info.rows, info.cols, info.height, info.width);
      accept?.();
    });
    session.on('signal', (accept, _reject, info) => {
      state.relay?.signal(info.name);
      accept?.();
    });
    session.on(
      'auth-agent',
      (accept, reject) => void this.onUnsupported({ kind: 'agent-forward' }, state, accept, reject),
    );
    session.on(
      'x11',
      (accept, reject) => void this.onUnsupported({ kind: 'x11-forward' }, state, accept, reject),
    );
    session.on(
      'exec',
      (accept, _reject, info) => void this.onRun({ kind: 'exec', command: info.command }, state, accept()),
    );
    session.on('shell', (accept) => void this.onRun({ kind: 'shell' }, state, accept()));
    session.on(
      'subsystem',
      (accept, _reject, info) => void this.onRun({ kind: 'subsystem', name: info.name }, state, accept()),
    );
  }

  /**
   * Agent and X11 forwarding: judged and recorded like any request, then refused even when a rule
   * allows them, because the sidecar cannot open the agent's side of those channels (ssh2's server
   * has no way to) and the agent's keys must not leave the pod anyway.
   */
  private async onUnsupported(
    request: SshRequest,
    state: ChannelState,
    _accept: (() => void) | undefined,
    reject: (() => void) | undefined,
  ): Promise<void> {
    try {
      const verdict = await this.decide(await this.command(request, state), () => undefined);
      if (verdict.run) {
        const message = `${classifySshRequest(request).text} is allowed by policy but not supported by the sidecar: refused`;
        this.p.deps.recorder.record(this.p.id, { type: 'error', message, code: 'unsupported' });
        this.p.logger.info({ request: request.kind }, message);
      }
    } catch (error) {
      this.p.logger.info({ err: String(error) }, 'forwarding request refused');
    }
    reject?.();
  }

  private async onRun(request: SshRequest, state: ChannelState, channel: ServerChannel): Promise<void> {
    channel.on('error', (error: Error) => this.p.logger.info({ err: error.message }, 'client channel error'));
    let closed = false;
    channel.once('close', () => (closed = true));
    const { settings, deps } = this.p;
    if (request.kind === 'exec') {
      const bytes = Buffer.byteLength(request.command);
      if (bytes > settings.maxExecCommandBytes) {
        const message = `crewgate: the command is ${bytes} bytes, over this listener's limit of ${settings.maxExecCommandBytes} bytes: refused`;
        deps.recorder.record(this.p.id, { type: 'error', message, code: 'command-too-long' });
        deps.metrics.commands.inc({ protocol: 'ssh', decision: 'deny' });
        refuseChannel(channel, message);
        return;
      }
    }
    let target: ResolvedTarget;
    let verdict: Verdict;
    try {
      target = await this.target!;
      const command = await this.command(request, state);
      verdict = await this.decide(
        command,
        (message) => {
          if (channel.writable)
            channel.stderr.write(`${message.startsWith('crewgate: ') ? message : `crewgate: ${message}`}\n`);
        },
        (abort) => channel.once('close', abort),
        // Log in upstream while the reviewer decides, so an approved command starts at once. It
        // runs nothing: the channel is only opened after the approval. Failures are recorded there.
        () => void this.connectUpstream(target).catch(() => undefined),
      );
    } catch (error) {
      // The Connection could not be resolved (control plane down, Secret missing): fail closed.
      const message = error instanceof Error ? error.message : String(error);
      deps.recorder.record(this.p.id, { type: 'error', message, code: 'target-unavailable' });
      this.p.logger.warn({ err: message }, 'target could not be resolved');
      refuseChannel(
        channel,
        `crewgate: cannot open a session on ${this.p.connection}: ${message}`,
        UPSTREAM_FAILED_STATUS,
      );
      return;
    }
    if (!verdict.run) {
      refuseChannel(channel, denialLine(verdict));
      return;
    }
    if (closed) return;

    let upstream: Client;
    let remote: ClientChannel;
    try {
      upstream = await this.connectUpstream(target);
      remote = await openRemote(upstream, request, state);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      refuseChannel(
        channel,
        `crewgate: cannot open a session on ${this.p.connection}: ${message}`,
        UPSTREAM_FAILED_STATUS,
      );
      return;
    }
    if (closed) {
      remote.close();
      return;
    }
    const masker = maskerFor(verdict.masking, this.p.identity);
    const relay = new ChannelRelay(channel, remote, {
      session: this.p.id,
      recorder: deps.recorder,
      metrics: deps.metrics,
      logger: this.p.logger,
      elapsedMs: this.elapsedMs,
      maxLineBytes: settings.maxLineBytes,
      tty: Boolean(state.pty),
      ...(masker.active ? { masker } : {}),
    });
    relay.onDone = (exit) => {
      state.relay = undefined;
      deps.recorder.record(this.p.id, {
        type: 'result',
        tag:
          exit === undefined
            ? 'closed'
            : 'code' in exit
              ? `exit-status ${exit.code}`
              : `exit-signal ${exit.signal}`,
      });
    };
    state.relay = relay;
    relay.start();
  }

  /** `direct-tcpip` (`ssh -L`, `ssh -W`): judged as portforward, then a channel through the target. */
  private async onDirectTcpip(
    accept: () => ServerChannel,
    reject: () => void,
    info: TcpipRequestInfo,
  ): Promise<void> {
    try {
      const verdict = await this.decide(
        await this.command({
          kind: 'port-forward',
          direction: 'local',
          host: info.destIP,
          port: info.destPort,
        }),
        () => undefined,
      );
      if (!verdict.run) {
        reject();
        return;
      }
      const upstream = await this.connectUpstream(await this.target!);
      const remote = await new Promise<ClientChannel>((resolve, fail) =>
        upstream.forwardOut(info.srcIP, info.srcPort, info.destIP, info.destPort, (err, ch) =>
          err ? fail(err) : resolve(ch),
        ),
      );
      this.tunnel(accept(), remote);
    } catch (error) {
      this.p.logger.info({ err: String(error) }, 'port forward refused');
      reject();
    }
  }

  /** `tcpip-forward` (`ssh -R`): judged as portforward; connections on the target come back here. */
  private async onGlobalRequest(
    accept: ((port?: number) => void) | undefined,
    reject: (() => void) | undefined,
    name: string,
    info: TcpipBindInfo | { socketPath: string },
  ): Promise<void> {
    if (name !== 'tcpip-forward' || !('bindAddr' in info)) {
      reject?.();
      return;
    }
    try {
      const verdict = await this.decide(
        await this.command({
          kind: 'port-forward',
          direction: 'remote',
          host: info.bindAddr,
          port: info.bindPort,
        }),
        () => undefined,
      );
      if (!verdict.run) {
        reject?.();
        return;
      }
      const upstream = await this.connectUpstream(await this.target!);
      const port = await new Promise<number>((resolve, fail) =>
        upstream.forwardIn(info.bindAddr, info.bindPort, (err, bound) => (err ? fail(err) : resolve(bound))),
      );
      upstream.on('tcp connection', (details, acceptIncoming, rejectIncoming) => {
        if (details.destPort !== port) return;
        this.p.client.forwardOut(
          details.destIP,
          details.destPort,
          details.srcIP,
          details.srcPort,
          (err, ch) => {
            if (err) {
              rejectIncoming();
              return;
            }
            this.tunnel(ch, acceptIncoming());
          },
        );
      });
      accept?.(port);
    } catch (error) {
      this.p.logger.info({ err: String(error) }, 'remote port forward refused');
      reject?.();
    }
  }

  /** A forwarded TCP stream: bytes are counted, not recorded (they are not a terminal). */
  private tunnel(local: ServerChannel | ClientChannel, remote: ServerChannel | ClientChannel): void {
    this.channelOpened();
    let open = 2;
    const closed = () => {
      if (--open === 0) this.channelClosed();
    };
    local.on('close', closed);
    remote.on('close', closed);
    local.on('error', () => local.destroy());
    remote.on('error', () => remote.destroy());
    local.on('data', (c: Buffer) =>
      this.p.deps.metrics.bytes.inc({ protocol: 'ssh', direction: 'upstream' }, c.length),
    );
    remote.on('data', (c: Buffer) =>
      this.p.deps.metrics.bytes.inc({ protocol: 'ssh', direction: 'downstream' }, c.length),
    );
    local.pipe(remote).pipe(local);
  }
}

function openRemote(upstream: Client, request: SshRequest, state: ChannelState): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    const done = (err: Error | undefined, channel: ClientChannel) => (err ? reject(err) : resolve(channel));
    const pty = state.pty
      ? {
          rows: state.pty.rows,
          cols: state.pty.cols,
          width: state.pty.width,
          height: state.pty.height,
          term: state.pty.term,
          modes: state.pty.modes,
        }
      : undefined;
    const env = Object.keys(state.env).length > 0 ? { env: state.env } : {};
    switch (request.kind) {
      case 'exec':
        upstream.exec(request.command, { ...env, ...(pty ? { pty } : {}) }, done);
        return;
      case 'shell':
        upstream.shell(pty ?? false, env, done);
        return;
      case 'subsystem':
        upstream.subsys(request.name, done);
        return;
      default:
        reject(new Error(`${request.kind} is not a session request`));
    }
  });
}
