/**
 * The sidecar's SSH listener (DESIGN.md §2-4): an SSH server on loopback, one per Connection of
 * type ssh. The agent authenticates with its OIDC token as the password (or, with none, as the
 * pod's workload identity); every exec, shell, subsystem and forwarding request is judged before
 * the sidecar opens anything on the target, where it logs in with the Connection's own key after
 * checking the pinned host key. A failure ends that one connection; the listener keeps serving.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Socket } from 'node:net';
// ssh2 is CommonJS; Node's ESM loader sees only some of its named exports, so use the default.
import ssh2, { type Connection } from 'ssh2';
import { z } from 'zod';
import type { ProtocolAdapter, RunningListener } from '../adapters/protocol-adapter.js';
import { initShellClassifier } from '../classify/shell/index.js';
import type { Identity } from '../core/command.js';
import { authenticateClient } from './client-auth.js';
import { ClientSession } from './client-session.js';
import { DEFAULT_MAX_LINE_BYTES } from './line-masker.js';
import { generateEd25519KeyPair } from './host-key.js';

/**
 * ssh2's transport refuses any packet over 35,000 bytes (it drops the connection), so a bound on
 * the exec string above this could never be reached; below it the listener answers 126 itself.
 */
export const MAX_EXEC_COMMAND_BYTES_LIMIT = 32 * 1024;

export const sshListenerOptionsSchema = z
  .strictObject({
    hostKeyPem: z
      .string()
      .min(1)
      .optional()
      .describe(
        "The listener's own host private key (OpenSSH or PEM); absent: a fresh ed25519 key in memory.",
      ),
    maxExecCommandBytes: z
      .number()
      .int()
      .min(1)
      .max(MAX_EXEC_COMMAND_BYTES_LIMIT)
      .default(16 * 1024)
      .describe('Longest exec command string judged; longer ones are refused with status 126.'),
    maxLineBytes: z
      .number()
      .int()
      .min(256)
      .max(1024 * 1024)
      .default(DEFAULT_MAX_LINE_BYTES)
      .describe('Masking holds output until a newline or this many bytes.'),
    handshakeTimeoutMs: z
      .number()
      .int()
      .min(100)
      .default(20_000)
      .describe('A client must finish key exchange and authentication within this.'),
    idleTimeoutMs: z
      .number()
      .int()
      .min(100)
      .default(15 * 60_000)
      .describe('A connection with no open channel for this long is ended.'),
    upstreamTimeoutMs: z.number().int().min(100).default(15_000).describe('Connecting to the target.'),
    ciphers: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe(
        "Ciphers offered on both sides, preferred first; ssh2's defaults (AES-GCM first) when absent.",
      ),
  })
  .default({
    maxExecCommandBytes: 16 * 1024,
    maxLineBytes: DEFAULT_MAX_LINE_BYTES,
    handshakeTimeoutMs: 20_000,
    idleTimeoutMs: 15 * 60_000,
    upstreamTimeoutMs: 15_000,
  });

export type SshListenerOptions = z.infer<typeof sshListenerOptionsSchema>;

export const sshAdapter: ProtocolAdapter = {
  protocol: 'ssh',
  async start(listener, deps): Promise<RunningListener> {
    const options = sshListenerOptionsSchema.parse(listener.options);
    await initShellClassifier();
    const log = deps.logger.child({ connection: listener.connection, protocol: 'ssh' });
    const hostKey = options.hostKeyPem ?? generateEd25519KeyPair().private;
    const sessions = new Set<ClientSession>();
    const sockets = new Set<Socket>();
    const handshakes = new Map<string, NodeJS.Timeout>();

    const ssh = new ssh2.Server({
      hostKeys: [hostKey],
      ident: 'crewgate',
      ...(options.ciphers ? { algorithms: { cipher: options.ciphers as never } } : {}),
    });
    ssh.on('connection', (client: Connection, info: { ip: string; port: number }) => {
      const clientAddress = `${info.ip}:${info.port}`;
      let identity: Identity | undefined;
      client.on('error', (error: Error) =>
        log.info({ client: clientAddress, err: error.message }, 'ssh client error'),
      );
      client.once('ready', () => {
        clearTimeout(handshakes.get(clientAddress));
        handshakes.delete(clientAddress);
        if (!identity) {
          client.end();
          return;
        }
        const id = randomUUID();
        const session = new ClientSession({
          id,
          connection: listener.connection,
          client,
          clientAddress,
          identity,
          target: listener.target,
          deps,
          settings: options,
          logger: log.child({ session: id, subject: identity.subject }),
        });
        sessions.add(session);
        session.onClosed = () => sessions.delete(session);
        log.info(
          { client: clientAddress, session: id, subject: identity.subject, groups: identity.groups },
          'session started',
        );
        session.start();
      });
      void authenticateClient(client, deps, (who) => (identity = who));
    });

    // Our own TCP server, so a client that stalls before authenticating is cut off at the socket.
    // ssh2 names each connection by the peer's address and port, which is how its 'ready' finds
    // the timer to clear.
    const server = createServer((socket) => {
      const peer = `${socket.remoteAddress}:${socket.remotePort}`;
      sockets.add(socket);
      socket.setNoDelay(true);
      socket.on('error', () => undefined);
      const timer = setTimeout(() => {
        deps.metrics.clientsRefused.inc({ protocol: 'ssh', reason: 'handshake timeout' });
        log.info({ client: peer }, 'ssh client did not authenticate in time');
        socket.destroy();
      }, options.handshakeTimeoutMs);
      handshakes.set(peer, timer);
      socket.once('close', () => {
        clearTimeout(timer);
        handshakes.delete(peer);
        sockets.delete(socket);
      });
      ssh.injectSocket(socket);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(listener.listen.port, listener.listen.host, () => resolve());
    });
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : listener.listen.port;
    log.info({ port }, 'ssh listener ready');
    return {
      port,
      close: async () => {
        for (const s of sessions) s.close('listener closing');
        for (const socket of sockets) socket.destroy();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      },
    };
  },
};
