/**
 * Bearer tokens one listener has verified, shared by all its client connections (the HTTP and
 * Kubernetes listeners each keep one). An agent that opens a connection per request (curl, Python
 * `requests` without a Session, each kubectl invocation) would otherwise pay for a full signature
 * check (jose, the issuer's keys) on every request: about 6 % of the Kubernetes listener's CPU on
 * a list, 812 -> 504 µs per request on HTTP with a connection each. Keyed by the exact token string, so a different token (another caller, a refreshed
 * token) is never answered from here; an entry lasts until the token's `exp` and at most
 * `maxAgeMs`, which bounds how long a token signed by a key the issuer has since withdrawn keeps
 * working; `capacity` bounds memory however many tokens arrive. Refusals are not kept: a refused
 * token is checked again, and refused again, every time.
 */
import type { Identity } from '../core/command.js';
import { LruCache } from '../core/lru-cache.js';
import type { IdentityFailure } from './failures.js';
import type { TokenVerifier } from './token-verifier.js';

export interface VerifiedTokensOptions {
  /** Tokens kept at most (least recently used leave first). Default 1024. */
  capacity?: number;
  /** How long a verified token is believed without checking it again. Default 60 s. */
  maxAgeMs?: number;
  /** Milliseconds since the epoch; tests move it to check expiry without waiting. */
  now?: () => number;
}

interface Entry {
  identity: Identity;
  /** Epoch milliseconds: the token's `exp`, or sooner by `maxAgeMs`. */
  until: number;
}

export type TokenCheck = { ok: true; identity: Identity; until: number } | IdentityFailure;

export class VerifiedTokens {
  private readonly entries: LruCache<string, Entry>;
  private readonly maxAgeMs: number;
  readonly now: () => number;

  constructor(
    private readonly verifier: Pick<TokenVerifier, 'verify'>,
    options: VerifiedTokensOptions = {},
  ) {
    this.entries = new LruCache(options.capacity ?? 1024);
    this.maxAgeMs = options.maxAgeMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  /** The identity `token` was verified as, if that is still believed now; never waits. */
  cached(token: string): { identity: Identity; until: number } | undefined {
    const entry = this.entries.get(token);
    return entry && this.now() < entry.until ? entry : undefined;
  }

  /** The cached answer, else the verifier's (kept when it accepts). */
  async verify(token: string): Promise<TokenCheck> {
    const hit = this.cached(token);
    if (hit) return { ok: true, ...hit };
    const verified = await this.verifier.verify(token);
    if (!verified.ok) return verified;
    const until = Math.min(verified.expiresAt.getTime(), this.now() + this.maxAgeMs);
    if (this.now() < until) this.entries.set(token, { identity: verified.identity, until });
    return { ok: true, identity: verified.identity, until };
  }

  get size(): number {
    return this.entries.size;
  }
}
