/**
 * Verifies the tokens agents present (DESIGN.md §3): OIDC access or ID tokens from an external
 * IdP, and Kubernetes service-account tokens from the cluster's own issuer, several issuers at once.
 * Signature against the issuer's published keys, `iss`, `aud`, `exp`/`nbf` with bounded skew, and an
 * allow-list of asymmetric algorithms (never `none`, never HMAC: a public key must not double as
 * an HMAC secret). Every refusal is a typed value, never an exception.
 */
import { decodeJwt, decodeProtectedHeader, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import type { Identity } from '../core/command.js';
import { failure, type IdentityFailure } from './failures.js';
import { trustingFetch, type FetchLike } from './https-fetch.js';
import { IssuerKeys, IssuerUnreachableError } from './issuer-keys.js';

export const ASYMMETRIC_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
] as const;

/** The most clock skew any issuer may be granted: beyond this a stolen expired token lives on. */
export const MAX_CLOCK_SKEW_SECONDS = 300;

export interface IssuerConfig {
  /** Exactly the `iss` the tokens carry, and where discovery starts. */
  issuer: string;
  /** Accepted `aud` values; a token must name at least one. */
  audiences: string[];
  /** `oidc` (default) or the cluster's `kubernetes` service-account issuer. */
  kind?: 'oidc' | 'kubernetes';
  groupsClaim?: string;
  subjectClaim?: string;
  /** Subset of ASYMMETRIC_ALGORITHMS; default all of them. */
  algorithms?: string[];
  /** PEM CA certificates to trust for discovery and JWKS (default: the system's). */
  caCertificates?: string[];
  clockSkewSeconds?: number;
}

export interface VerifiedIdentity {
  ok: true;
  identity: Identity;
  expiresAt: Date;
  claims: JWTPayload;
}

export interface TokenVerifierDeps {
  /** The time decisions are taken at; tests move it to check expiry without waiting. */
  now?: () => Date;
  /** Per-issuer fetch; the default trusts the issuer's configured CA bundle. */
  fetchFor?: (issuer: IssuerConfig) => FetchLike;
  jwksCooldownMs?: number;
}

export class IssuerConfigError extends Error {
  override name = 'IssuerConfigError';
}

interface KubernetesClaims {
  namespace?: string;
  serviceaccount?: { name?: string };
  pod?: { name?: string };
}

export class TokenVerifier {
  private readonly issuers = new Map<
    string,
    { config: IssuerConfig; keys: IssuerKeys; algorithms: string[] }
  >();
  private readonly now: () => Date;

  constructor(configs: IssuerConfig[], deps: TokenVerifierDeps = {}) {
    this.now = deps.now ?? (() => new Date());
    for (const config of configs) {
      const algorithms = config.algorithms ?? [...ASYMMETRIC_ALGORITHMS];
      const bad = algorithms.filter((a) => !(ASYMMETRIC_ALGORITHMS as readonly string[]).includes(a));
      if (bad.length > 0)
        throw new IssuerConfigError(
          `issuer ${config.issuer}: algorithms ${bad.join(', ')} are not allowed (asymmetric only)`,
        );
      if (config.audiences.length === 0)
        throw new IssuerConfigError(`issuer ${config.issuer}: at least one audience is required`);
      if ((config.clockSkewSeconds ?? 0) > MAX_CLOCK_SKEW_SECONDS) {
        throw new IssuerConfigError(`issuer ${config.issuer}: clock skew over ${MAX_CLOCK_SKEW_SECONDS}s`);
      }
      const fetch = deps.fetchFor?.(config) ?? trustingFetch(config.caCertificates);
      this.issuers.set(config.issuer, {
        config,
        algorithms,
        keys: new IssuerKeys({
          issuer: config.issuer,
          fetch,
          cooldownMs: deps.jwksCooldownMs,
          now: () => this.now().getTime(),
        }),
      });
    }
  }

  async verify(token: string): Promise<VerifiedIdentity | IdentityFailure> {
    let issuer: string | undefined;
    let alg: string | undefined;
    try {
      alg = decodeProtectedHeader(token).alg;
      issuer = decodeJwt(token).iss;
    } catch {
      return failure('malformed', 'not a JWS-signed JWT');
    }
    const entry = issuer ? this.issuers.get(issuer) : undefined;
    if (!issuer || !entry)
      return failure('unknown issuer', `issuer ${JSON.stringify(issuer ?? null)} is not trusted`);
    if (!alg || !entry.algorithms.includes(alg)) {
      return failure(
        'algorithm not allowed',
        `algorithm ${JSON.stringify(alg ?? null)} is not allowed for ${issuer}`,
        issuer,
      );
    }

    let payload: JWTPayload;
    try {
      const keys = await entry.keys.resolver();
      ({ payload } = await jwtVerify(token, keys, {
        issuer,
        audience: entry.config.audiences,
        algorithms: entry.algorithms,
        currentDate: this.now(),
        clockTolerance: entry.config.clockSkewSeconds ?? 30,
        requiredClaims: ['exp'],
      }));
    } catch (error) {
      return classifyJoseError(error, issuer);
    }
    return this.toIdentity(payload, entry.config);
  }

  private toIdentity(claims: JWTPayload, config: IssuerConfig): VerifiedIdentity | IdentityFailure {
    const subject = claims[config.subjectClaim ?? 'sub'];
    if (typeof subject !== 'string' || subject === '')
      return failure('missing claim', `token has no ${config.subjectClaim ?? 'sub'}`, config.issuer);
    const expiresAt = new Date((claims.exp ?? 0) * 1000);
    if (config.kind === 'kubernetes') {
      const k8s = (claims['kubernetes.io'] ?? {}) as KubernetesClaims;
      const namespace = k8s.namespace;
      const serviceAccount = k8s.serviceaccount?.name;
      if (!namespace || !serviceAccount)
        return failure('missing claim', 'service-account token without kubernetes.io claims', config.issuer);
      return {
        ok: true,
        claims,
        expiresAt,
        identity: {
          subject,
          issuer: config.issuer,
          groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'],
          serviceAccount: `${namespace}/${serviceAccount}`,
          ...(k8s.pod?.name ? { pod: `${namespace}/${k8s.pod.name}` } : {}),
        },
      };
    }
    const rawGroups = claims[config.groupsClaim ?? 'groups'];
    const groups = Array.isArray(rawGroups)
      ? rawGroups.filter((g): g is string => typeof g === 'string')
      : [];
    return { ok: true, claims, expiresAt, identity: { subject, issuer: config.issuer, groups } };
  }
}

function classifyJoseError(error: unknown, issuer: string): IdentityFailure {
  if (error instanceof IssuerUnreachableError) return failure('issuer unreachable', error.message, issuer);
  if (error instanceof joseErrors.JWTExpired) return failure('expired', 'token has expired', issuer);
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === 'aud')
      return failure('wrong audience', 'token is meant for another audience', issuer);
    if (error.claim === 'nbf' || error.claim === 'iat')
      return failure('not yet valid', `token ${error.claim} is in the future`, issuer);
    return failure('missing claim', `claim ${error.claim}: ${error.reason}`, issuer);
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed)
    return failure('bad signature', 'signature does not verify', issuer);
  if (error instanceof joseErrors.JWKSNoMatchingKey)
    return failure('unknown key', 'no published key matches the token', issuer);
  if (error instanceof joseErrors.JOSEAlgNotAllowed)
    return failure('algorithm not allowed', error.message, issuer);
  if (error instanceof joseErrors.JWKSTimeout || error instanceof joseErrors.JWKSInvalid)
    return failure('issuer unreachable', error.message, issuer);
  if (error instanceof joseErrors.JWSInvalid || error instanceof joseErrors.JWTInvalid)
    return failure('malformed', error.message, issuer);
  // Anything else (a network error while refreshing keys, say) refuses the token: fail closed.
  return failure('issuer unreachable', error instanceof Error ? error.message : String(error), issuer);
}
