/**
 * The sidecar's SSH client to the target (RFC 4252/4254 through ssh2's Client): the Connection's
 * address and user, the Secret's `privateKey`, and the pinned host key checked during key exchange.
 * Nothing the agent sent (its password, its keys) ever reaches the target.
 */
// ssh2 is CommonJS; Node's ESM loader sees only some of its named exports, so use the default.
import ssh2, { type Client } from 'ssh2';
import type { ResolvedTarget } from '../adapters/protocol-adapter.js';
import { fingerprint, matchesPin, parsePinnedHostKey } from './host-key-pin.js';

export type UpstreamFailure = 'host-key-mismatch' | 'configuration' | 'unreachable' | 'authentication';

/** Why no upstream session could be opened; `message` is safe to show the agent and to log. */
export class UpstreamError extends Error {
  override readonly name = 'UpstreamError';
  constructor(
    message: string,
    readonly failure: UpstreamFailure,
  ) {
    super(message);
  }
}

/** `host:port` or `[v6]:port`; the port defaults to 22 as ssh's does. */
export function parseAddress(address: string): { host: string; port: number } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(address);
  const plain = /^([^:[\]]+)(?::(\d+))?$/.exec(address);
  const match = bracketed ?? plain;
  const port = Number(match?.[2] ?? 22);
  if (!match || !Number.isInteger(port) || port < 1 || port > 65_535)
    throw new UpstreamError(`address ${JSON.stringify(address)} is not host:port`, 'configuration');
  return { host: match[1] as string, port };
}

export interface UpstreamOptions {
  /** Key exchange and authentication must finish within this. */
  readyTimeoutMs: number;
  /** Ciphers to offer, fastest first; ssh2's defaults when absent. */
  ciphers?: string[];
}

/** Opens an authenticated SSH connection to the target, or fails with an UpstreamError. */
export function connectUpstream(target: ResolvedTarget, options: UpstreamOptions): Promise<Client> {
  const ssh = target.spec.ssh;
  if (target.spec.type !== 'ssh' || !ssh)
    return Promise.reject(
      new UpstreamError('the Connection is not an ssh Connection with spec.ssh', 'configuration'),
    );
  const privateKey = target.credentials.privateKey;
  if (!privateKey)
    return Promise.reject(new UpstreamError('the Connection\'s Secret has no "privateKey"', 'configuration'));
  let pin;
  let address;
  try {
    pin = parsePinnedHostKey(ssh.hostKey);
    address = parseAddress(target.spec.address);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return Promise.reject(
      error instanceof UpstreamError ? error : new UpstreamError(message, 'configuration'),
    );
  }
  const pinned = pin;

  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    let presented: Buffer | undefined;
    let settled = false;
    const fail = (error: UpstreamError) => {
      if (settled) return;
      settled = true;
      client.end();
      reject(error);
    };
    client.once('ready', () => {
      settled = true;
      client.removeAllListeners('error');
      // Errors after this point end the channels, which the relays see.
      client.on('error', () => undefined);
      // ssh2 writes each packet as its own socket write; with Nagle on, the sub-MSS tail of a burst
      // (loopback's MSS is 64 KiB, a packet 32 KiB) and every window adjust waited for an ACK.
      client.setNoDelay(true);
      resolve(client);
    });
    client.on('error', (error: Error & { level?: string }) => {
      if (presented && !matchesPin(pinned, presented)) {
        fail(
          new UpstreamError(
            `host key of ${target.spec.address} is ${fingerprint(presented)}, not the pinned ${pinned.fingerprint}: refused (no trust on first use)`,
            'host-key-mismatch',
          ),
        );
      } else if (error.level === 'client-authentication') {
        fail(
          new UpstreamError(
            `${target.spec.address} refused the Connection's key for user ${ssh.user}`,
            'authentication',
          ),
        );
      } else {
        fail(new UpstreamError(`cannot reach ${target.spec.address}: ${error.message}`, 'unreachable'));
      }
    });
    try {
      client.connect({
        host: address.host,
        port: address.port,
        username: ssh.user,
        privateKey,
        readyTimeout: options.readyTimeoutMs,
        // Ask for exactly the pinned key's type, so a server with several host keys shows that one.
        algorithms: {
          serverHostKey: [...pinned.algorithms] as never,
          ...(options.ciphers ? { cipher: options.ciphers as never } : {}),
        },
        hostVerifier: (key: Buffer) => {
          presented = Buffer.from(key);
          return matchesPin(pinned, key);
        },
        // Never offer an agent or keyboard-interactive: the Secret's key is the only credential.
        tryKeyboard: false,
      });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      fail(new UpstreamError(`cannot use the Connection's private key: ${message}`, 'configuration'));
    }
  });
}
