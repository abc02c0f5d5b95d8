/**
 * Who is calling: the agent's bearer token (`kubectl --token`, verified against the trusted
 * issuers) when it sends one, else the pod's workload identity, else nobody. A token that does
 * not verify is refused even when a workload identity exists: falling back would let a broken or
 * forged token act as the pod.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { AdapterDeps } from '../adapters/protocol-adapter.js';
import type { Identity } from '../core/command.js';
import type { VerifiedTokens } from '../identity/verified-tokens.js';

export type Authentication =
  | { ok: true; identity: Identity }
  /** `metric` is the bounded `reason` label of `crewgate_auth_failures_total`. */
  | { ok: false; message: string; metric: string };

export async function authenticate(
  headers: IncomingHttpHeaders,
  deps: Pick<AdapterDeps, 'verifier' | 'workloadIdentity'>,
  /** Recent successful verifications to reuse (sidecar/identity/verified-tokens.ts); none: verify every time. */
  verified?: VerifiedTokens,
): Promise<Authentication> {
  const authorization = headers.authorization;
  if (authorization === undefined || authorization === '') {
    if (deps.workloadIdentity) return { ok: true, identity: deps.workloadIdentity };
    return {
      ok: false,
      message: 'crewgate: no bearer token was sent and this sidecar has no workload identity',
      metric: 'no credentials',
    };
  }
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization);
  if (!match)
    return {
      ok: false,
      message: 'crewgate: only a bearer token (Authorization: Bearer ...) identifies a caller',
      metric: 'malformed',
    };
  const token = match[1] as string;
  const result = await (verified ?? deps.verifier).verify(token);
  if (!result.ok)
    return {
      ok: false,
      message: `crewgate: the bearer token was refused: ${result.detail}`,
      metric: result.reason,
    };
  return { ok: true, identity: result.identity };
}
