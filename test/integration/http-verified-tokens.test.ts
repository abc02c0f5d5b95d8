// The HTTP listener's cache of verified tokens (sidecar/identity/verified-tokens.ts) in front of the
// real TokenVerifier and the harness's OpenID Provider: what it answers without verifying again,
// and every case where it must not (another token, a forged one, expiry, its own age bound, its
// size bound). The verifier is the real one; the wrapper only counts how often it is asked.
import { readFileSync } from 'node:fs';
import { decodeJwt } from 'jose';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { TokenVerifier, type IssuerConfig } from '../../sidecar/identity/token-verifier.js';
import { VerifiedTokens } from '../../sidecar/identity/verified-tokens.js';
import { oidcToken } from '../harness/oidc-token.js';

const harness = inject('harness');
const issuer: IssuerConfig = {
  issuer: harness.oidc.issuer,
  audiences: [harness.oidc.audience],
  caCertificates: [readFileSync(harness.oidc.caCertificateFile, 'utf8')],
};

/** A real verifier on the same movable clock as the cache, counting the checks it is asked for. */
function setup(options: { capacity?: number; maxAgeMs?: number } = {}) {
  let now = Date.now();
  const real = new TokenVerifier([issuer], { now: () => new Date(now) });
  const counted = {
    calls: 0,
    verify(token: string) {
      counted.calls += 1;
      return real.verify(token);
    },
  };
  const tokens = new VerifiedTokens(counted, { ...options, now: () => now });
  return { tokens, counted, advance: (ms: number) => (now += ms), at: (ms: number) => (now = ms) };
}

let analyst: string;
let operator: string;
beforeAll(async () => {
  [analyst, operator] = await Promise.all([
    oidcToken(harness.oidc, 'agent-analyst'),
    oidcToken(harness.oidc, 'agent-operator'),
  ]);
});

describe('VerifiedTokens', () => {
  it('answers a token it verified without asking the verifier again, on any connection', async () => {
    const { tokens, counted } = setup();
    expect(await tokens.verify(analyst)).toMatchObject({ ok: true, identity: { subject: 'agent-analyst' } });
    expect(await tokens.verify(analyst)).toMatchObject({ ok: true, identity: { subject: 'agent-analyst' } });
    expect(tokens.cached(analyst)?.identity.subject).toBe('agent-analyst');
    expect(counted.calls).toBe(1);
  });

  it('never answers another token from the cache: another caller, a forged signature', async () => {
    const { tokens, counted } = setup();
    await tokens.verify(analyst);
    expect(tokens.cached(operator)).toBeUndefined();
    expect(await tokens.verify(operator)).toMatchObject({
      ok: true,
      identity: { subject: 'agent-operator' },
    });
    // The analyst's header and claims with the signature's first character changed: all six of
    // its bits are signature bits (the last character's low bits are padding, so changing only
    // those leaves the same signature: this test once passed a valid token off as forged).
    const [header, claims, signature] = analyst.split('.') as [string, string, string];
    const forged = `${header}.${claims}.${signature[0] === 'A' ? 'B' : 'A'}${signature.slice(1)}`;
    expect(tokens.cached(forged)).toBeUndefined();
    expect(await tokens.verify(forged)).toMatchObject({ ok: false, reason: 'bad signature' });
    expect(counted.calls).toBe(3);
  });

  it('keeps no refusal: a refused token is checked (and refused) again every time', async () => {
    const { tokens, counted } = setup();
    const [header, claims, signature] = operator.split('.') as [string, string, string];
    const forged = `${header}.${claims}.${signature[0] === 'x' ? 'y' : 'x'}${signature.slice(1)}`;
    expect(await tokens.verify(forged)).toMatchObject({ ok: false });
    expect(await tokens.verify(forged)).toMatchObject({ ok: false });
    expect(counted.calls).toBe(2);
    expect(tokens.size).toBe(0);
  });

  it('stops believing a token at its exp, by the injected clock, and the verifier then refuses it', async () => {
    const { tokens, counted, at } = setup({ maxAgeMs: 24 * 3600_000 });
    const exp = (decodeJwt(analyst).exp ?? 0) * 1000;
    await tokens.verify(analyst);
    at(exp - 1);
    expect(tokens.cached(analyst)?.identity.subject).toBe('agent-analyst');
    at(exp);
    expect(tokens.cached(analyst)).toBeUndefined();
    at(exp + 3600_000); // past the verifier's clock tolerance too
    expect(await tokens.verify(analyst)).toMatchObject({ ok: false, reason: 'expired' });
    expect(counted.calls).toBe(2);
  });

  it('verifies a token again once maxAgeMs has passed, even before its exp', async () => {
    const { tokens, counted, advance } = setup({ maxAgeMs: 1000 });
    await tokens.verify(operator);
    advance(999);
    expect(tokens.cached(operator)).toBeDefined();
    advance(1);
    expect(tokens.cached(operator)).toBeUndefined();
    expect(await tokens.verify(operator)).toMatchObject({ ok: true });
    expect(counted.calls).toBe(2);
  });

  it('holds at most capacity tokens, the least recently used leaving first', async () => {
    const viewer = await oidcToken(harness.oidc, 'agent-analyst');
    const { tokens, counted } = setup({ capacity: 2 });
    await tokens.verify(analyst);
    await tokens.verify(operator);
    tokens.cached(analyst); // analyst is now the most recent
    if (viewer !== analyst) {
      await tokens.verify(viewer);
      expect(tokens.size).toBe(2);
      expect(tokens.cached(operator)).toBeUndefined();
      expect(tokens.cached(analyst)).toBeDefined();
      expect(counted.calls).toBe(3);
    } else {
      throw new Error('the IdP issued the same token twice; the bound cannot be checked this way');
    }
  });
});
