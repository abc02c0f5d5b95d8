// The harness's kube-apiserver is a real one: version, client-certificate users and groups,
// RBAC, and the service-account issuer whose tokens verify against its published keys.
import { decodeJwt, jwtVerify } from 'jose';
import { describe, expect, inject, it } from 'vitest';
import { discover } from '../harness/discovery.js';
import { writeUserKubeconfig } from '../harness/kubeconfig.js';
import { kubectl } from '../harness/run.js';

const harness = inject('harness');
const cp = harness.controlPlane;

describe('the harness control plane', () => {
  it('is kube-apiserver at the pinned version', async () => {
    const result = await kubectl(harness, ['get', '--raw', '/version']);
    expect(result.code).toBe(0);
    const version = JSON.parse(result.stdout) as { gitVersion: string; major: string; minor: string };
    expect(version.gitVersion).toBe(cp.version);
    expect(version.gitVersion).toMatch(/^v1\.36\.\d+$/);
  });

  it('knows a user and their groups from a client certificate, and RBAC applies to them', async () => {
    const kubeconfig = await writeUserKubeconfig(cp, 'rita-reviewer', ['dba', 'reviewers']);
    const whoami = await kubectl(harness, ['auth', 'whoami', '-o', 'json'], { kubeconfig });
    expect(whoami.code).toBe(0);
    const userInfo = (
      JSON.parse(whoami.stdout) as { status: { userInfo: { username: string; groups: string[] } } }
    ).status.userInfo;
    expect(userInfo.username).toBe('rita-reviewer');
    expect(userInfo.groups).toEqual(expect.arrayContaining(['dba', 'reviewers', 'system:authenticated']));

    const forbidden = await kubectl(harness, ['get', 'secrets', '-n', 'default'], { kubeconfig });
    expect(forbidden.code).not.toBe(0);
    expect(forbidden.stderr).toMatch(/User "rita-reviewer" cannot list resource "secrets"/);
  });

  it('issues service-account tokens (TokenRequest) that verify with jose against its discovery JWKS', async () => {
    const ns = `sa-token-${Date.now()}`;
    expect((await kubectl(harness, ['create', 'namespace', ns])).code).toBe(0);
    expect((await kubectl(harness, ['create', 'serviceaccount', 'research-crew', '-n', ns])).code).toBe(0);
    const created = await kubectl(harness, [
      'create',
      'token',
      'research-crew',
      '-n',
      ns,
      '--audience=crewgate',
      '--duration=10m',
    ]);
    expect(created.code).toBe(0);
    const token = created.stdout.trim();

    const issuer = await discover(cp.serviceAccountIssuer, cp.caCertificateFile);
    expect(issuer.issuer).toBe(cp.serviceAccountIssuer);
    const { payload } = await jwtVerify(token, issuer.keys, { issuer: issuer.issuer, audience: 'crewgate' });
    expect(payload.sub).toBe(`system:serviceaccount:${ns}:research-crew`);

    await expect(
      jwtVerify(token, issuer.keys, { issuer: issuer.issuer, audience: 'someone-else' }),
    ).rejects.toThrow(/aud/);
    // A token whose signature was tampered with does not verify.
    const [header, , signature] = token.split('.');
    const forgedBody = Buffer.from(
      JSON.stringify({ ...decodeJwt(token), sub: 'system:serviceaccount:kube-system:admin' }),
    ).toString('base64url');
    await expect(
      jwtVerify(`${header}.${forgedBody}.${signature}`, issuer.keys, { issuer: issuer.issuer }),
    ).rejects.toThrow(/signature/);
  });
});
