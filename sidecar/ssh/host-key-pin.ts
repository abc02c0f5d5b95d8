/**
 * The target's host key as the Connection pins it (`spec.ssh.hostKey`, a known_hosts-style
 * `ssh-ed25519 AAAA...` line) and the comparison the upstream client makes during key exchange.
 * There is no trust on first use: a key that is not byte-for-byte the pinned blob refuses the
 * session (RFC 4253 §8: the server proves possession of the key it sends; we decide whether that
 * key is the one we expect).
 */
import { createHash, timingSafeEqual } from 'node:crypto';

/** Key types a pin may name, and the host-key algorithms that present such a key (RFC 8332 for RSA). */
const ALGORITHMS_BY_KEY_TYPE: Readonly<Record<string, readonly string[]>> = {
  'ssh-ed25519': ['ssh-ed25519'],
  'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
  'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
  'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
};

export class HostKeyPinError extends Error {
  override readonly name = 'HostKeyPinError';
}

export interface PinnedHostKey {
  /** The key type (`ssh-ed25519`). */
  type: string;
  /** The SSH wire encoding of the public key (RFC 4253 §6.6), as known_hosts holds it in base64. */
  blob: Buffer;
  /** Host-key algorithms to offer in key exchange so the server presents this key, not another. */
  algorithms: readonly string[];
  /** `SHA256:...` as `ssh-keygen -l` prints it, for logs and messages. */
  fingerprint: string;
}

/** OpenSSH's fingerprint format: unpadded base64 of SHA-256 over the key blob. */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The type name inside a key blob (its first SSH `string`), or undefined when it is not one. */
function blobType(blob: Buffer): string | undefined {
  if (blob.length < 4) return undefined;
  const length = blob.readUInt32BE(0);
  if (length === 0 || length > 64 || blob.length < 4 + length) return undefined;
  return blob.subarray(4, 4 + length).toString('latin1');
}

/**
 * Parses `[host-patterns] type base64 [comment]`. Markers (`@cert-authority`, `@revoked`) and
 * hashed host patterns are refused: a pin names one key, not a policy for finding one.
 */
export function parsePinnedHostKey(line: string): PinnedHostKey {
  const words = line.trim().split(/\s+/);
  if (words.some((w) => w.startsWith('@')))
    throw new HostKeyPinError(
      'the pinned host key may not carry a known_hosts marker (@cert-authority, @revoked)',
    );
  const at = words.findIndex((w) => w in ALGORITHMS_BY_KEY_TYPE);
  if (at < 0 || at > 1)
    throw new HostKeyPinError(
      `the pinned host key must be "TYPE BASE64" with TYPE one of ${Object.keys(ALGORITHMS_BY_KEY_TYPE).join(', ')}`,
    );
  const type = words[at] as string;
  const encoded = words[at + 1] ?? '';
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) throw new HostKeyPinError('the pinned host key is not base64');
  const blob = Buffer.from(encoded, 'base64');
  if (blobType(blob) !== type) throw new HostKeyPinError(`the pinned host key's data is not an ${type} key`);
  return { type, blob, algorithms: ALGORITHMS_BY_KEY_TYPE[type] as string[], fingerprint: fingerprint(blob) };
}

/** Whether the key the server presented is exactly the pinned one. */
export function matchesPin(pin: PinnedHostKey, presented: Buffer): boolean {
  return presented.length === pin.blob.length && timingSafeEqual(presented, pin.blob);
}
