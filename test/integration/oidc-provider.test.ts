// The harness's OpenID Provider issues real signed tokens that verify against its own discovery.
import { jwtVerify } from 'jose';
import { describe, expect, inject, it } from 'vitest';
import { discover } from '../harness/discovery.js';
import { oidcToken } from '../harness/oidc-token.js';

const harness = inject('harness');
const oidc = harness.oidc;

describe('the harness OpenID Provider', () => {
  it('issues an access token with the groups claim that verifies with jose against its discovery', async () => {
    const token = await oidcToken(oidc, 'agent-analyst');
    const issuer = await discover(oidc.issuer, oidc.caCertificateFile);
    const { payload, protectedHeader } = await jwtVerify(token, issuer.keys, {
      issuer: oidc.issuer,
      audience: oidc.audience,
    });
    expect(protectedHeader.alg).toBe('ES256');
    expect(payload.sub).toBe('agent-analyst');
    expect(payload.groups).toEqual(['crewai-viewer']);
  });

  it('issues tokens for another audience that a crewgate verifier refuses', async () => {
    const token = await oidcToken(oidc, 'reviewer-dba', { audience: 'https://billing.internal' });
    const issuer = await discover(oidc.issuer, oidc.caCertificateFile);
    await expect(
      jwtVerify(token, issuer.keys, { issuer: oidc.issuer, audience: oidc.audience }),
    ).rejects.toThrow(/aud/);
  });
});
