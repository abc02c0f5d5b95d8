/**
 * Opens the sidecar's own connection to the real database with the Connection's credentials,
 * which the agent never sees: TLS first (verify-full checks the chain and the host name),
 * then StartupMessage and whatever authentication the server asks for (SCRAM-SHA-256 through
 * node-postgres's implementation, which also checks the server's signature; md5; cleartext).
 */
import { connect as netConnect, type Socket } from 'node:net';
import { checkServerIdentity, connect as tlsConnect, type TLSSocket } from 'node:tls';
import { continueSession, finalizeSession, startSession } from 'pg/lib/crypto/sasl.js';
import { postgresMd5PasswordHash } from 'pg/lib/crypto/utils.js';
import { serialize } from 'pg-protocol';
import type { BackendMessage } from 'pg-protocol/dist/messages.js';
import {
  BackendFramer,
  BackendType,
  decodeBackend,
  readyForQueryStatus,
  type BackendFrame,
  type TransactionStatus,
} from './backend-messages.js';

export interface UpstreamTarget {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
  tls: { mode: 'disable' | 'require' | 'verify-full'; ca?: string[]; serverName?: string };
  connectTimeoutMs?: number;
}

export interface UpstreamSession {
  socket: Socket | TLSSocket;
  /** ParameterStatus values the server reported, relayed to the client. */
  parameters: [string, string][];
  backendKey: { processId: number; secretKey: Buffer };
  transactionStatus: TransactionStatus;
  /** Bytes that arrived after ReadyForQuery in the same read. */
  leftover: BackendFrame[];
  framer: BackendFramer;
}

/** The upstream refused or failed; `serverError` carries the server's own ErrorResponse when there was one. */
export class UpstreamError extends Error {
  override name = 'UpstreamError';
  constructor(
    message: string,
    readonly serverError?: { code?: string; message: string },
  ) {
    super(message);
  }
}

/** A socket read as a sequence of backend frames, for the startup exchange. */
class FrameReader {
  private frames: BackendFrame[] = [];
  private waiting: ((frame: BackendFrame | Error) => void) | undefined;
  private failure: Error | undefined;
  readonly framer = new BackendFramer();
  private readonly onData = (chunk: Buffer) => {
    try {
      this.frames.push(...this.framer.push(chunk));
    } catch (error) {
      this.fail(error as Error);
      return;
    }
    this.deliver();
  };
  private readonly onEnd = () => this.fail(new UpstreamError('server closed the connection during startup'));
  private readonly onError = (error: Error) =>
    this.fail(new UpstreamError(`upstream connection failed: ${error.message}`));

  constructor(private readonly socket: Socket) {
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('error', this.onError);
  }

  private fail(error: Error) {
    this.failure ??= error;
    this.deliver();
  }

  private deliver() {
    if (!this.waiting) return;
    const frame = this.frames.shift();
    if (frame) {
      const w = this.waiting;
      this.waiting = undefined;
      w(frame);
    } else if (this.failure) {
      const w = this.waiting;
      this.waiting = undefined;
      w(this.failure);
    }
  }

  next(): Promise<BackendFrame> {
    return new Promise((resolve, reject) => {
      this.waiting = (f) => (f instanceof Error ? reject(f) : resolve(f));
      this.deliver();
    });
  }

  /** Stops reading for the startup exchange and hands back what was read beyond it. */
  detach(): BackendFrame[] {
    this.socket.off('data', this.onData);
    this.socket.off('end', this.onEnd);
    this.socket.off('error', this.onError);
    return this.frames.splice(0);
  }
}

function openSocket(target: UpstreamTarget): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host: target.host, port: target.port, noDelay: true });
    socket.setTimeout(target.connectTimeoutMs ?? 10_000, () =>
      socket.destroy(new UpstreamError(`connecting to ${target.host}:${target.port} timed out`)),
    );
    socket.once('connect', () => {
      socket.setTimeout(0);
      resolve(socket);
    });
    socket.once('error', (error) =>
      reject(new UpstreamError(`cannot connect to ${target.host}:${target.port}: ${error.message}`)),
    );
  });
}

/** SSLRequest, then a TLS handshake on the same socket (§55.2.10). */
function negotiateTls(socket: Socket, target: UpstreamTarget): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    socket.once('data', (answer: Buffer) => {
      if (answer[0] !== 0x53 /* S */) {
        socket.destroy();
        reject(
          new UpstreamError(
            `server at ${target.host}:${target.port} does not accept TLS but the connection requires it`,
          ),
        );
        return;
      }
      const verify = target.tls.mode === 'verify-full';
      const secure = tlsConnect({
        socket,
        ca: target.tls.ca,
        servername: target.tls.serverName ?? (/^[\d.]+$|:/.test(target.host) ? undefined : target.host),
        rejectUnauthorized: verify,
        // SNI carries only DNS names; the identity check must see the IP itself for an IP address.
        checkServerIdentity: verify
          ? (_host, cert) => checkServerIdentity(target.tls.serverName ?? target.host, cert)
          : () => undefined,
      });
      secure.once('secureConnect', () => resolve(secure));
      secure.once('error', (error) =>
        reject(new UpstreamError(`TLS to ${target.host}:${target.port} failed: ${error.message}`)),
      );
    });
    socket.write(serialize.requestSsl());
  });
}

function serverError(message: BackendMessage): UpstreamError {
  const e = message as BackendMessage & { code?: string; message: string };
  return new UpstreamError(`upstream refused the session: ${e.message}`, {
    code: e.code,
    message: e.message,
  });
}

/** Connects, authenticates and waits for the first ReadyForQuery. */
export async function connectUpstream(
  target: UpstreamTarget,
  clientParameters: Record<string, string>,
): Promise<UpstreamSession> {
  const plain = await openSocket(target);
  let socket: Socket | TLSSocket = plain;
  try {
    if (target.tls.mode !== 'disable') socket = await negotiateTls(plain, target);
    const reader = new FrameReader(socket);
    socket.write(serialize.startup({ ...clientParameters, user: target.user, database: target.database }));

    let sasl: ReturnType<typeof startSession> | undefined;
    const parameters: [string, string][] = [];
    let backendKey = { processId: 0, secretKey: Buffer.alloc(4) };
    for (;;) {
      const frame = await reader.next();
      if (frame.type === BackendType.readyForQuery) {
        return {
          socket,
          parameters,
          backendKey,
          transactionStatus: readyForQueryStatus(frame),
          leftover: reader.detach(),
          framer: reader.framer,
        };
      }
      if (frame.type === BackendType.backendKeyData) {
        backendKey = { processId: frame.raw.readInt32BE(5), secretKey: Buffer.from(frame.raw.subarray(9)) };
        continue;
      }
      const message = decodeBackend(frame);
      switch (message.name) {
        case 'authenticationOk':
        case 'notice':
          break;
        case 'parameterStatus': {
          const p = message as BackendMessage & { parameterName: string; parameterValue: string };
          parameters.push([p.parameterName, p.parameterValue]);
          break;
        }
        case 'authenticationCleartextPassword':
          socket.write(serialize.password(target.password));
          break;
        case 'authenticationMD5Password': {
          const { salt } = message as BackendMessage & { salt: Buffer };
          socket.write(serialize.password(await postgresMd5PasswordHash(target.user, target.password, salt)));
          break;
        }
        case 'authenticationSASL': {
          const { mechanisms } = message as BackendMessage & { mechanisms: string[] };
          sasl = startSession(mechanisms);
          socket.write(serialize.sendSASLInitialResponseMessage(sasl.mechanism, sasl.response));
          break;
        }
        case 'authenticationSASLContinue': {
          if (!sasl) throw new UpstreamError('server sent SASLContinue before SASL started');
          await continueSession(sasl, target.password, (message as BackendMessage & { data: string }).data);
          socket.write(serialize.sendSCRAMClientFinalMessage(sasl.response));
          break;
        }
        case 'authenticationSASLFinal':
          if (!sasl) throw new UpstreamError('server sent SASLFinal before SASL started');
          // Mutual authentication: a server that does not know the password cannot produce this.
          finalizeSession(sasl, (message as BackendMessage & { data: string }).data);
          break;
        case 'error':
          throw serverError(message);
        default:
          throw new UpstreamError(`unexpected ${message.name} from the server during startup`);
      }
    }
  } catch (error) {
    socket.destroy();
    throw error instanceof UpstreamError
      ? error
      : new UpstreamError(error instanceof Error ? error.message : String(error));
  }
}

/** Sends a CancelRequest for `key` on a fresh connection, as libpq does (§55.2.9). */
export async function sendCancel(
  target: UpstreamTarget,
  key: { processId: number; secretKey: Buffer },
): Promise<void> {
  const plain = await openSocket(target);
  let socket: Socket | TLSSocket = plain;
  try {
    if (target.tls.mode !== 'disable') socket = await negotiateTls(plain, target);
    const body = Buffer.alloc(16 + key.secretKey.length - 4);
    body.writeInt32BE(body.length, 0);
    body.writeInt32BE(80877102, 4);
    body.writeInt32BE(key.processId, 8);
    key.secretKey.copy(body, 12);
    await new Promise<void>((resolve) => socket.end(body, () => resolve()));
  } finally {
    socket.destroy();
  }
}
