/**
 * The client side of connection start-up (PostgreSQL manual §55.2.1, §55.2.10): SSL and GSS
 * negotiation, the StartupMessage, and authentication of the caller. The agent's OIDC token
 * arrives as the password (the sidecar asks for a cleartext password, which only ever crosses the
 * pod's loopback or TLS); with an empty password or the well-known marker
 * `WORKLOAD_IDENTITY_PASSWORD` (libpq never sends an empty one) and workload identity enabled, the
 * pod is the caller.
 */
import type { Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';
import type { Identity } from '../core/command.js';
import type { IdentityFailure } from '../identity/failures.js';
import type { VerifiedIdentity } from '../identity/token-verifier.js';
import {
  asksForWorkloadIdentity,
  WORKLOAD_IDENTITY_PASSWORD,
} from '../identity/workload-identity-password.js';
import { AuthenticationCode, encodeAuthentication } from './backend-messages.js';
import type { FrontendMessage, StartupPhaseMessage } from './frontend-messages.js';
import { FrontendParser } from './frontend-parser.js';
import { PostgresProtocolError, SqlState } from './protocol-error.js';

export interface ClientStartupOptions {
  /** Offer TLS on SSLRequest; without it the sidecar answers 'N' (loopback only). */
  tls?: SecureContext;
  /** Refuse clients that did not negotiate TLS. */
  requireTls: boolean;
  verifier: { verify(token: string): Promise<VerifiedIdentity | IdentityFailure> };
  /** The pod's identity, used when the client sends an empty password or WORKLOAD_IDENTITY_PASSWORD. */
  workloadIdentity?: Identity;
  maxMessageBytes?: number;
  startupTimeoutMs?: number;
}

export type StartupOutcome =
  | {
      kind: 'session';
      socket: Socket;
      parser: FrontendParser;
      parameters: Record<string, string>;
      identity: Identity;
      /** Typed messages that arrived in the same read as the password. */
      pending: FrontendMessage[];
    }
  | { kind: 'cancel'; processId: number; secretKey: Buffer };

/** The client refused us or went away; `authFailure` is set when its identity was refused. */
export class StartupError extends PostgresProtocolError {
  override name = 'StartupError';
  constructor(
    message: string,
    sqlState: ConstructorParameters<typeof PostgresProtocolError>[1],
    readonly authFailure?: IdentityFailure['reason'],
  ) {
    super(message, sqlState, true);
  }
}

/** Reads messages one at a time from a socket that may be swapped for its TLS wrapper. */
class MessageSource {
  private queue: FrontendMessage[] = [];
  private waiter: { resolve: (m: FrontendMessage) => void; reject: (e: Error) => void } | undefined;
  private failure: Error | undefined;

  constructor(
    public socket: Socket,
    readonly parser: FrontendParser,
  ) {
    this.attach(socket);
  }

  private readonly onData = (chunk: Buffer) => {
    try {
      this.queue.push(...this.parser.push(chunk));
    } catch (error) {
      this.fail(error as Error);
      return;
    }
    this.deliver();
  };
  private readonly onClose = () =>
    this.fail(new StartupError('client closed the connection during startup', SqlState.connectionFailure));
  private readonly onError = (error: Error) =>
    this.fail(new StartupError(`client connection failed: ${error.message}`, SqlState.connectionFailure));

  attach(socket: Socket) {
    this.socket = socket;
    socket.on('data', this.onData);
    socket.on('close', this.onClose);
    socket.on('error', this.onError);
  }

  detach(): FrontendMessage[] {
    this.socket.off('data', this.onData);
    this.socket.off('close', this.onClose);
    this.socket.off('error', this.onError);
    return this.queue.splice(0);
  }

  get buffered(): number {
    return this.queue.length + this.parser.bufferedBytes;
  }

  private fail(error: Error) {
    this.failure ??= error;
    this.deliver();
  }

  private deliver() {
    if (!this.waiter) return;
    const message = this.queue.shift();
    const waiter = this.waiter;
    if (message) {
      this.waiter = undefined;
      waiter.resolve(message);
    } else if (this.failure) {
      this.waiter = undefined;
      waiter.reject(this.failure);
    }
  }

  next(): Promise<FrontendMessage> {
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
      this.deliver();
    });
  }
}

function upgradeToTls(socket: Socket, context: SecureContext): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const secure = new TLSSocket(socket, { isServer: true, secureContext: context });
    secure.once('secure', () => resolve(secure));
    secure.once('error', (error) =>
      reject(new StartupError(`TLS handshake failed: ${error.message}`, SqlState.protocolViolation)),
    );
  });
}

export async function clientStartup(socket: Socket, options: ClientStartupOptions): Promise<StartupOutcome> {
  const parser = new FrontendParser({ maxMessageBytes: options.maxMessageBytes });
  const source = new MessageSource(socket, parser);
  const timer = setTimeout(
    () => socket.destroy(new StartupError('startup timed out', SqlState.protocolViolation)),
    options.startupTimeoutMs ?? 30_000,
  );
  try {
    let tls = false;
    let startup: Extract<StartupPhaseMessage, { kind: 'StartupMessage' }> | undefined;
    while (!startup) {
      const message = await source.next();
      switch (message.kind) {
        case 'SSLRequest':
          // Anything sent after SSLRequest and before our answer would be read as cleartext
          // inside the TLS session (CVE-2021-23214): refuse it.
          if (source.buffered > 0)
            throw new StartupError('unexpected data after SSLRequest', SqlState.protocolViolation);
          if (options.tls && !tls) {
            socket.write('S');
            source.detach();
            const secure = await upgradeToTls(source.socket, options.tls);
            source.attach(secure);
            tls = true;
          } else {
            source.socket.write('N');
          }
          break;
        case 'GSSENCRequest':
          source.socket.write('N');
          break;
        case 'CancelRequest':
          return { kind: 'cancel', processId: message.processId, secretKey: message.secretKey };
        case 'StartupMessage':
          startup = message;
          break;
        default:
          throw new StartupError(
            `unexpected ${message.kind} before StartupMessage`,
            SqlState.protocolViolation,
          );
      }
    }
    if (options.requireTls && !tls) {
      throw new StartupError(
        'crewgate requires TLS on this listener (sslmode=require or stronger)',
        SqlState.invalidAuthorization,
      );
    }

    source.socket.write(encodeAuthentication(AuthenticationCode.cleartextPassword));
    const reply = await source.next();
    if (reply.kind !== 'Password')
      throw new StartupError(`expected a password message, got ${reply.kind}`, SqlState.protocolViolation);
    const nul = reply.payload.indexOf(0);
    const password = reply.payload.toString('utf8', 0, nul < 0 ? reply.payload.length : nul);

    let identity: Identity;
    if (asksForWorkloadIdentity(password) && options.workloadIdentity) {
      identity = options.workloadIdentity;
    } else if (asksForWorkloadIdentity(password)) {
      throw new StartupError(
        `crewgate: an OIDC token is required as the password (this listener has no workload identity, so an empty password or ${WORKLOAD_IDENTITY_PASSWORD} is not enough)`,
        SqlState.invalidAuthorization,
        'malformed',
      );
    } else {
      const verified = await options.verifier.verify(password);
      if (!verified.ok) {
        throw new StartupError(
          `crewgate: token refused (${verified.reason}): ${verified.detail}`,
          verified.reason === 'bad signature' || verified.reason === 'malformed'
            ? SqlState.invalidPassword
            : SqlState.invalidAuthorization,
          verified.reason,
        );
      }
      identity = verified.identity;
    }
    const pending = source.detach();
    return {
      kind: 'session',
      socket: source.socket,
      parser,
      parameters: startup.parameters,
      identity,
      pending,
    };
  } catch (error) {
    if (typeof error === 'object' && error !== null) refusedOn.set(error, source.socket);
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** The socket each startup failure happened on: the TLS wrapper once TLS was negotiated. */
const refusedOn = new WeakMap<object, Socket>();

/**
 * Where to write the FATAL for a failed startup. After SSLRequest the client speaks TLS, so a
 * refusal written on the raw socket reaches it as `SSL error: wrong version number` instead of
 * the reason; this returns the TLS socket then, the raw one otherwise.
 */
export function refusalSocket(error: unknown, raw: Socket): Socket {
  return (typeof error === 'object' && error !== null ? refusedOn.get(error) : undefined) ?? raw;
}
