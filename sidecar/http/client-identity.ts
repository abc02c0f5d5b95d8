/**
 * Who sent one request (DESIGN.md §3): the agent's `Authorization: Bearer <token>`, verified by
 * the sidecar's TokenVerifier, else the pod's workload identity, else nobody (401). A verified
 * token is remembered for its client connection until it expires, so keep-alive clients pay for
 * one signature check, not one per request.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { AdapterDeps } from '../adapters/protocol-adapter.js';
import type { Identity } from '../core/command.js';

export type ClientIdentity = { ok: true; identity: Identity } | { ok: false; reason: string; metric: string };

export class IdentityCache {
  private token: string | undefined;
  private identity: Identity | undefined;
  private expiresAt = 0;

  constructor(private readonly deps: Pick<AdapterDeps, 'verifier' | 'workloadIdentity'>) {}

  /**
   * The identity without waiting, when no verification is needed: the workload identity for a
   * request without Authorization, or the token this connection presented last, unexpired. A
   * keep-alive client's requests then take no promise hop here; anything else is `resolve`'s.
   */
  known(headers: IncomingHttpHeaders): Identity | undefined {
    const authorization = headers.authorization;
    if (authorization === undefined) return this.deps.workloadIdentity;
    if (this.token === undefined || !this.identity || Date.now() >= this.expiresAt) return undefined;
    const match = /^Bearer[ \t]+([A-Za-z0-9\-._~+/]+=*)[ \t]*$/i.exec(authorization);
    return match?.[1] === this.token ? this.identity : undefined;
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
    const match = /^Bearer[ \t]+([A-Za-z0-9\-._~+/]+=*)[ \t]*$/i.exec(authorization);
    if (!match)
      return { ok: false, reason: 'the Authorization header is not a bearer token', metric: 'malformed' };
    const token = match[1] as string;
    if (token === this.token && this.identity && Date.now() < this.expiresAt)
      return { ok: true, identity: this.identity };
    const verified = await this.deps.verifier.verify(token);
    if (!verified.ok)
      return { ok: false, reason: `token refused: ${verified.detail}`, metric: verified.reason };
    this.token = token;
    this.identity = verified.identity;
    this.expiresAt = verified.expiresAt.getTime();
    return { ok: true, identity: verified.identity };
  }
}
