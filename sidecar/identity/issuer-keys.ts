/**
 * The signing keys of one issuer, found the way a relying party finds them: OpenID discovery
 * (openid-client) names the JWKS URI, and jose's remote key set caches the keys, refetching on an
 * unknown `kid` no more often than the cool-down allows. A discovery failure is retried after the
 * cool-down rather than cached: an IdP that comes back is used again.
 */
import { createRemoteJWKSet, customFetch as joseCustomFetch, type JWTVerifyGetKey } from 'jose';
import * as oidc from 'openid-client';
import type { FetchLike } from './https-fetch.js';

export interface IssuerKeysOptions {
  issuer: string;
  fetch: FetchLike;
  /** Minimum time between two fetches triggered by an unknown key or a failed discovery. */
  cooldownMs?: number;
  /** How long fetched keys are trusted before they are fetched again. */
  cacheMaxAgeMs?: number;
  timeoutMs?: number;
  now?: () => number;
}

export class IssuerUnreachableError extends Error {
  constructor(issuer: string, cause: unknown) {
    super(`cannot reach issuer ${issuer}: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
    this.name = 'IssuerUnreachableError';
  }
}

export class IssuerKeys {
  private keys: JWTVerifyGetKey | undefined;
  private lastFailureAt = Number.NEGATIVE_INFINITY;
  private lastFailure: unknown;
  private pending: Promise<JWTVerifyGetKey> | undefined;

  constructor(private readonly options: IssuerKeysOptions) {}

  /** The key resolver for jwtVerify; throws IssuerUnreachableError when discovery fails. */
  async resolver(): Promise<JWTVerifyGetKey> {
    if (this.keys) return this.keys;
    const now = (this.options.now ?? Date.now)();
    if (now - this.lastFailureAt < (this.options.cooldownMs ?? 30_000)) {
      throw new IssuerUnreachableError(this.options.issuer, this.lastFailure);
    }
    this.pending ??= this.discover().finally(() => (this.pending = undefined));
    return this.pending;
  }

  private async discover(): Promise<JWTVerifyGetKey> {
    const { issuer, fetch } = this.options;
    try {
      const configuration = await oidc.discovery(new URL(issuer), 'crewgate-sidecar', undefined, undefined, {
        [oidc.customFetch]: fetch as oidc.CustomFetch,
        timeout: Math.ceil((this.options.timeoutMs ?? 5_000) / 1000),
      });
      const jwksUri = configuration.serverMetadata().jwks_uri;
      if (!jwksUri) throw new Error('discovery document has no jwks_uri');
      this.keys = createRemoteJWKSet(new URL(jwksUri), {
        [joseCustomFetch]: fetch as never,
        cooldownDuration: this.options.cooldownMs ?? 30_000,
        cacheMaxAge: this.options.cacheMaxAgeMs ?? 10 * 60_000,
        timeoutDuration: this.options.timeoutMs ?? 5_000,
      });
      return this.keys;
    } catch (error) {
      this.lastFailureAt = (this.options.now ?? Date.now)();
      this.lastFailure = error;
      throw new IssuerUnreachableError(issuer, error);
    }
  }
}
