// The identity module against real issuers: the harness's OpenID Provider and the API server's
// own service-account issuer. No signature check is ever turned off; bad tokens are made for real.
import { readFileSync } from 'node:fs';
import { SignJWT, decodeJwt, decodeProtectedHeader, generateKeyPair, type JWTPayload } from 'jose';
import { createHmac } from 'node:crypto';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import {
  TokenVerifier,
  IssuerConfigError,
  type IssuerConfig,
} from '../../sidecar/identity/token-verifier.js';
import { oidcToken } from '../harness/oidc-token.js';
import { httpsGet } from '../harness/https-probe.js';
import { freePort } from '../harness/ports.js';
import { kubectl } from '../harness/run.js';

const harness = inject('harness');
const oidcIssuer: IssuerConfig = {
  issuer: harness.oidc.issuer,
  audiences: [harness.oidc.audience],
  caCertificates: [readFileSync(harness.oidc.caCertificateFile, 'utf8')],
};
const clusterIssuer: IssuerConfig = {
  issuer: harness.controlPlane.serviceAccountIssuer,
  audiences: ['crewgate'],
  kind: 'kubernetes',
  caCertificates: [readFileSync(harness.controlPlane.caCertificateFile, 'utf8')],
};
const verifier = new TokenVerifier([oidcIssuer, clusterIssuer]);

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

let analystToken: string;
beforeAll(async () => {
  analystToken = await oidcToken(harness.oidc, 'agent-analyst');
});

describe('verifying OIDC tokens from a real IdP', () => {
  it('accepts a valid token and takes groups from the groups claim', async () => {
    const result = await verifier.verify(analystToken);
    expect(result).toMatchObject({
      ok: true,
      identity: { subject: 'agent-analyst', groups: ['crewai-viewer'], issuer: harness.oidc.issuer },
    });
  });

  it('refuses an expired token, by the verifier’s clock', async () => {
    const later = new TokenVerifier([oidcIssuer], { now: () => new Date(Date.now() + 3600_000) });
    expect(await later.verify(analystToken)).toMatchObject({ ok: false, reason: 'expired' });
  });

  it('refuses a token for another audience', async () => {
    const token = await oidcToken(harness.oidc, 'agent-analyst', { audience: 'https://billing.internal' });
    expect(await verifier.verify(token)).toMatchObject({ ok: false, reason: 'wrong audience' });
  });

  it('refuses alg none', async () => {
    const [, payload] = analystToken.split('.');
    const unsigned = `${b64url({ alg: 'none', typ: 'JWT' })}.${payload}.`;
    expect(await verifier.verify(unsigned)).toMatchObject({ ok: false, reason: 'algorithm not allowed' });
  });

  it('refuses HS256 signed with the issuer’s public key as the secret (algorithm confusion)', async () => {
    const [, payload] = analystToken.split('.');
    const ca = readFileSync(harness.oidc.caCertificateFile, 'utf8');
    const publicJwks = (await httpsGet(`${harness.oidc.issuer}/jwks`, { ca })).body;
    expect(publicJwks).toContain('"kty":"EC"');
    const header = b64url({ alg: 'HS256', typ: 'JWT', kid: decodeProtectedHeader(analystToken).kid });
    const signature = createHmac('sha256', publicJwks).update(`${header}.${payload}`).digest('base64url');
    expect(await verifier.verify(`${header}.${payload}.${signature}`)).toMatchObject({
      ok: false,
      reason: 'algorithm not allowed',
    });
  });

  it('refuses a token whose claims were edited after signing', async () => {
    const [header, , signature] = analystToken.split('.');
    const forged = `${header}.${b64url({ ...decodeJwt(analystToken), groups: ['dba'] })}.${signature}`;
    expect(await verifier.verify(forged)).toMatchObject({ ok: false, reason: 'bad signature' });
  });

  it('refuses a token signed by an attacker’s key under the issuer’s kid, and under a kid of its own', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const claims: JWTPayload = { ...decodeJwt(analystToken), groups: ['dba'] };
    const sameKid = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: decodeProtectedHeader(analystToken).kid })
      .sign(privateKey);
    expect(await verifier.verify(sameKid)).toMatchObject({ ok: false, reason: 'bad signature' });
    const ownKid = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: 'attacker' })
      .sign(privateKey);
    expect(await verifier.verify(ownKid)).toMatchObject({ ok: false, reason: 'unknown key' });
  });

  it('refuses a token from an issuer it does not trust, and garbage', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const token = await new SignJWT({ sub: 'mallory' })
      .setProtectedHeader({ alg: 'ES256' })
      .setIssuer('https://evil.example')
      .setAudience(harness.oidc.audience)
      .setExpirationTime('5m')
      .sign(privateKey);
    expect(await verifier.verify(token)).toMatchObject({ ok: false, reason: 'unknown issuer' });
    expect(await verifier.verify('not-a-token')).toMatchObject({ ok: false, reason: 'malformed' });
  });

  it('fails closed when the issuer cannot be reached', async () => {
    const port = await freePort();
    const unreachable: IssuerConfig = { issuer: `https://127.0.0.1:${port}`, audiences: ['urn:crewgate'] };
    const { privateKey } = await generateKeyPair('ES256');
    const token = await new SignJWT({ sub: 'agent' })
      .setProtectedHeader({ alg: 'ES256' })
      .setIssuer(unreachable.issuer)
      .setAudience('urn:crewgate')
      .setExpirationTime('5m')
      .sign(privateKey);
    const result = await new TokenVerifier([unreachable]).verify(token);
    expect(result).toMatchObject({ ok: false, reason: 'issuer unreachable' });
  });

  it('refuses issuer configurations that would allow HMAC or no audience', () => {
    expect(() => new TokenVerifier([{ ...oidcIssuer, algorithms: ['HS256'] }])).toThrow(IssuerConfigError);
    expect(() => new TokenVerifier([{ ...oidcIssuer, audiences: [] }])).toThrow(/audience/);
  });
});

describe('verifying the cluster’s service-account tokens', () => {
  let token: string;
  const ns = `identity-${Date.now()}`;
  beforeAll(async () => {
    await kubectl(harness, ['create', 'namespace', ns]);
    await kubectl(harness, ['create', 'serviceaccount', 'research-crew', '-n', ns]);
    token = (
      await kubectl(harness, ['create', 'token', 'research-crew', '-n', ns, '--audience=crewgate'])
    ).stdout.trim();
  });

  it('gives the workload identity: subject, service account and its groups', async () => {
    const result = await verifier.verify(token);
    expect(result).toMatchObject({
      ok: true,
      identity: {
        subject: `system:serviceaccount:${ns}:research-crew`,
        serviceAccount: `${ns}/research-crew`,
        groups: expect.arrayContaining(['system:serviceaccounts', `system:serviceaccounts:${ns}`]),
      },
    });
  });

  it('refuses a token that is not valid yet by the verifier’s clock', async () => {
    const earlier = new TokenVerifier([clusterIssuer], { now: () => new Date(Date.now() - 3600_000) });
    expect(await earlier.verify(token)).toMatchObject({ ok: false, reason: 'not yet valid' });
  });

  it('refuses a token minted for another audience (e.g. the API server’s own)', async () => {
    const other = (await kubectl(harness, ['create', 'token', 'research-crew', '-n', ns])).stdout.trim();
    expect(await verifier.verify(other)).toMatchObject({ ok: false, reason: 'wrong audience' });
  });
});
