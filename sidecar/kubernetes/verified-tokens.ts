/**
 * Bearer tokens this listener verified recently, so the dozen requests of one kubectl invocation
 * (and an agent's next ones) do not each pay a signature check: the profile of a list through the
 * sidecar showed WebCrypto's RSA verification (a thread-pool job and its promise per request) as
 * about 6% of the sidecar's CPU. Only successes are kept, each until the earlier of the token's
 * own `exp` and {@link MAX_REUSE_MS} after it was verified, so a token is never accepted past its
 * expiry and a change of the issuer's keys reaches every token within that bound.
 */
import type { Identity } from '../core/command.js';

/** How long one verification is reused at most. */
export const MAX_REUSE_MS = 60_000;
/** Distinct tokens kept; past that the oldest verification is dropped. */
export const MAX_TOKENS = 1024;

export class VerifiedTokens {
  private readonly entries = new Map<string, { identity: Identity; until: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  /** The identity `token` was verified as, if that verification may still be reused. */
  get(token: string): Identity | undefined {
    const entry = this.entries.get(token);
    if (!entry) return undefined;
    if (this.now() >= entry.until) {
      this.entries.delete(token);
      return undefined;
    }
    return entry.identity;
  }

  /** Remembers a successful verification of `token`, which expires at `expiresAt`. */
  remember(token: string, identity: Identity, expiresAt: Date): void {
    const until = Math.min(expiresAt.getTime(), this.now() + MAX_REUSE_MS);
    if (!(until > this.now())) return;
    this.entries.delete(token);
    if (this.entries.size >= MAX_TOKENS) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(token, { identity, until });
  }
}
