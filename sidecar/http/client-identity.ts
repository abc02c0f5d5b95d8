/**
 * Who sent one request (DESIGN.md §3): the agent's `Authorization: Bearer <token>`, verified by
 * the sidecar's TokenVerifier through the listener's `VerifiedTokens`, else the pod's workload
 * identity, else nobody (401). The connection also remembers the exact header its last verified
 * token came in, so a keep-alive client's next requests cost a string comparison, not even a parse.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { AdapterDeps } from '../adapters/protocol-adapter.js';
import type { Identity } from '../core/command.js';
import type { VerifiedTokens } from '../identity/verified-tokens.js';

export type ClientIdentity = { ok: true; identity: Identity } | { ok: false; reason: string; metric: string };

const BEARER = /^Bearer[ \t]+([A-Za-z0-9\-._~+/]+=*)[ \t]*$/i;

export class IdentityCache {
  /** The Authorization header this connection's last verified token came in, and what it proved. */
  private header: string | undefined;
  private identity: Identity | undefined;
  private until = 0;

  constructor(
    private readonly deps: Pick<AdapterDeps, 'workloadIdentity'>,
    private readonly tokens: VerifiedTokens,
  ) {}

  /**
   * The identity without waiting, when no verification is needed: the workload identity for a
   * request without Authorization, or a token verified before (on this connection or another) and
   * still believed. A keep-alive client's requests then take no promise hop here; anything else
   * is `resolve`'s.
   */
  known(headers: IncomingHttpHeaders): Identity | undefined {
    const authorization = headers.authorization;
    if (authorization === undefined) return this.deps.workloadIdentity;
    if (authorization === this.header && this.tokens.now() < this.until) return this.identity;
    const token = BEARER.exec(authorization)?.[1];
    const hit = token === undefined ? undefined : this.tokens.cached(token);
    if (hit) this.remember(authorization, hit);
    return hit?.identity;
  }

  async resolve(headers: IncomingHttpHeaders): Promise<ClientIdentity> {
    const authorization = headers.authorization;
    if (authorization === undefined) {
      if (this.deps.workloadIdentity) return { ok: true, identity: this.deps.workloadIdentity };
      return {
        ok: false,
        reason: 'no bearer token was presented and this sidecar has no workload identity',
        metric: 'missing',
      };
    }
    const token = BEARER.exec(authorization)?.[1];
    if (token === undefined)
      return { ok: false, reason: 'the Authorization header is not a bearer token', metric: 'malformed' };
    const verified = await this.tokens.verify(token);
    if (!verified.ok)
      return { ok: false, reason: `token refused: ${verified.detail}`, metric: verified.reason };
    this.remember(authorization, verified);
    return { ok: true, identity: verified.identity };
  }

  private remember(header: string, verified: { identity: Identity; until: number }): void {
    this.header = header;
    this.identity = verified.identity;
    this.until = verified.until;
  }
}
