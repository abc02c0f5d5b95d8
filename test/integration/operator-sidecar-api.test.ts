// The sidecars' control plane against the real API server: a sidecar proves itself with a token
// from TokenRequest bound to its pod; the operator checks it with TokenReview and the pod itself.
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ClusterState } from '../../operator/control-plane/cluster-state.js';
import { startSidecarApi, type SidecarApi } from '../../operator/control-plane/sidecar-api.js';
import { kubeClients } from '../../operator/kube/client.js';
import { issueCertificate, loadCertificateAuthority } from '../../operator/pki/certificates.js';
import { ControlPlaneClient } from '../../sidecar/control-plane/control-plane-client.js';
import { evaluate } from '../../sidecar/policy/index.js';
import { silentLogger } from '../../sidecar/logging.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubectl } from '../harness/run.js';
import { serviceAccountToken } from '../harness/service-account-token.js';
import { injectPod, injectionConfigSchema } from '../../operator/injection/index.js';
import type { Pod } from '../../operator/injection/pod.js';
import { applyJsonPatch } from '../../operator/injection/testing/apply-json-patch.js';
import { grantsFromTable } from '../../operator/injection/testing/golden-case.js';
import { startLocalOperator, type LocalOperator } from './support/local-operator.js';

const harness = inject('harness');
const ns = `cp-${Date.now()}`;
const ca = readFileSync(harness.caCertificateFile, 'utf8');
let api: SidecarApi;
let state: ClusterState;

function call(
  method: string,
  path: string,
  token: string | undefined,
  body?: unknown,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `https://127.0.0.1:${api.port}${path}`,
      {
        method,
        ca,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          'content-type': 'application/json',
        },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

const injection = injectionConfigSchema.parse({
  sidecarImage: 'ghcr.io/crewgate/sidecar:test',
  controlPlaneUrl: 'https://crewgate.crewgate-system.svc:8443',
});
const plainPod = (name: string): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: ns, annotations: { 'crewgate.dev/connections': 'shop-db' } },
  spec: { serviceAccountName: 'research-crew', containers: [{ name: 'agent', image: 'python:3.12' }] },
});
/** The pod as the injector makes it (this namespace has no webhook: the test applies the patch). */
const injectedPod = (name: string): Pod => {
  const grants = grantsFromTable({
    connections: { 'shop-db': { type: 'postgres', address: '127.0.0.1', port: 5432, database: 'shop' } },
    granted: { 'shop-db': ['research-crew'] },
  });
  const result = injectPod(plainPod(name), injection, grants);
  if ('refused' in result) throw new Error(result.refused);
  return applyJsonPatch(plainPod(name), result.patch);
};
const pod = (name: string, injected: boolean) =>
  JSON.stringify(injected ? injectedPod(name) : plainPod(name));
/** What the review calls a forged injection: the markers and a crewgate-audience token, written by the pod's author. */
const forgedPod = (name: string, namespace = ns): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name,
    namespace,
    annotations: { 'crewgate.dev/connections': 'shop-db', 'crewgate.dev/status': 'injected' },
  },
  spec: {
    serviceAccountName: 'research-crew',
    automountServiceAccountToken: false,
    initContainers: [
      {
        name: 'crewgate-sidecar',
        image: 'busybox:1.36',
        restartPolicy: 'Always',
        command: ['sleep', 'infinity'],
      },
    ],
    containers: [
      {
        name: 'agent',
        image: 'python:3.12',
        volumeMounts: [{ name: 'crewgate-token', mountPath: '/var/run/secrets/crewgate', readOnly: true }],
      },
    ],
    volumes: [
      {
        name: 'crewgate-token',
        projected: {
          sources: [{ serviceAccountToken: { audience: 'crewgate', expirationSeconds: 600, path: 'token' } }],
        },
      },
    ],
  },
});

const tokenFor = async (podName?: string, audience = 'crewgate') =>
  (
    await serviceAccountToken(harness, {
      namespace: ns,
      serviceAccount: 'research-crew',
      audience,
      ...(podName ? { pod: podName } : {}),
    })
  ).stdout.trim();

beforeAll(async () => {
  await kubectl(harness, ['create', 'namespace', ns]);
  // Selected for injection, but no webhook watches it: pods are created exactly as written.
  await kubectl(harness, ['label', 'namespace', ns, 'crewgate.dev/inject=enabled']);
  await kubectl(harness, ['create', 'serviceaccount', 'research-crew', '-n', ns]);
  await kubectl(harness, [
    'create',
    'secret',
    'generic',
    'shop-db-credentials',
    '-n',
    ns,
    '--from-literal=username=app',
    '--from-literal=password=s3cret',
  ]);
  const manifests = `apiVersion: crewgate.dev/v1alpha1
kind: Connection
metadata: { name: shop-db, namespace: ${ns} }
spec: { type: postgres, address: 127.0.0.1:5432, database: shop, credentialsRef: { name: shop-db-credentials } }
---
apiVersion: crewgate.dev/v1alpha1
kind: AccessPolicy
metadata: { name: crew, namespace: ${ns} }
spec:
  subjects: [{ serviceAccount: { name: research-crew } }]
  connections: [shop-db]
  rules: [{ name: reads, match: { operations: [select] }, action: Allow }]
---
${pod('crew-0', true)}
---
${pod('not-injected', false)}`;
  const applied = await kubectl(harness, ['apply', '-f', '-'], { input: manifests });
  expect(applied.stderr).toBe('');

  const clients = kubeClients(harness.controlPlane.adminKubeconfig);
  const authority = await loadCertificateAuthority(ca, readFileSync(harness.caKeyFile, 'utf8'));
  const serving = await issueCertificate(authority, {
    commonName: 'crewgate-operator',
    ipAddresses: ['127.0.0.1'],
    usage: 'server',
  });
  state = new ClusterState(clients, silentLogger());
  await state.start();
  api = await startSidecarApi({
    port: 0,
    host: '127.0.0.1',
    certificate: { cert: serving.certificatePem, key: serving.privateKeyPem },
    clients,
    state,
    injection,
    logger: silentLogger(),
    registry: new Registry(),
  });
});
afterAll(async () => {
  await api?.close();
  await state?.stop();
});

describe('the sidecar control plane', () => {
  it('gives an injected pod its bundle: its connections without credentials, the policies naming them', async () => {
    const result = await call('GET', '/v1/bundle', await tokenFor('crew-0'));
    expect(result.status).toBe(200);
    const bundle = JSON.parse(result.body);
    expect(bundle.connections).toEqual([
      { name: 'shop-db', spec: { type: 'postgres', address: '127.0.0.1:5432', database: 'shop' } },
    ]);
    expect(bundle.accessPolicies.map((p: { metadata: { name: string } }) => p.metadata.name)).toEqual([
      'crew',
    ]);
    expect(result.body).not.toContain('shop-db-credentials');
  });

  it('streams a policy edit to a watching sidecar in under 2 s', async () => {
    const token = await tokenFor('crew-0');
    const lines: { at: number; line: string }[] = [];
    const req = request(
      `https://127.0.0.1:${api.port}/v1/bundle?watch=true`,
      { ca, headers: { authorization: `Bearer ${token}` } },
      (res) => {
        res.on('data', (c: Buffer) =>
          c
            .toString()
            .split('\n')
            .filter(Boolean)
            .forEach((line) => lines.push({ at: Date.now(), line })),
        );
      },
    );
    req.end();
    while (lines.length === 0) await new Promise((r) => setTimeout(r, 50));
    const editedAt = Date.now();
    await kubectl(harness, [
      'patch',
      'accesspolicy',
      'crew',
      '-n',
      ns,
      '--type=json',
      '-p',
      '[{"op":"add","path":"/spec/rules/-","value":{"name":"no-drops","match":{"operations":["ddl.drop"]},"action":"Deny"}}]',
    ]);
    const deadline = Date.now() + 5_000;
    let update: { at: number; line: string } | undefined;
    while (!update && Date.now() < deadline) {
      update = lines.find((l) => l.line.includes('no-drops'));
      await new Promise((r) => setTimeout(r, 20));
    }
    req.destroy();
    expect(update).toBeDefined();
    console.log(`policy edit reached the watching sidecar in ${update!.at - editedAt} ms`);
    expect(update!.at - editedAt).toBeLessThan(2_000);
  });

  it('hands out the Connection’s credentials only for connections the pod was admitted with', async () => {
    const token = await tokenFor('crew-0');
    const ok = await call('POST', '/v1/credentials', token, { connection: 'shop-db' });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toMatchObject({
      connection: 'shop-db',
      credentials: { username: 'app', password: 's3cret' },
    });
    const other = await call('POST', '/v1/credentials', token, { connection: 'billing-db' });
    expect(other.status).toBe(403);
  });

  it('refuses a pod that was not injected, a token bound to no pod, the wrong audience, and no token', async () => {
    const notInjected = await call('GET', '/v1/bundle', await tokenFor('not-injected'));
    expect(notInjected).toMatchObject({ status: 403 });
    expect(notInjected.body).toMatch(/was not injected/);
    expect(await call('GET', '/v1/bundle', await tokenFor(undefined))).toMatchObject({ status: 403 });
    const agentsOwn = await call(
      'GET',
      '/v1/bundle',
      await tokenFor('crew-0', 'https://kubernetes.default.svc'),
    );
    expect(agentsOwn.status).toBe(401);
    expect((await call('GET', '/v1/bundle', undefined)).status).toBe(401);
  });

  it('refuses credentials to a pod that forged its injection, with the reason', async () => {
    const created = await kubectl(harness, ['apply', '-f', '-'], {
      input: JSON.stringify(forgedPod('forged')),
    });
    expect(created.stderr).toBe('');
    // The pod's own agent container holds this token: its volume is mounted there.
    const refused = await call('POST', '/v1/credentials', await tokenFor('forged'), {
      connection: 'shop-db',
    });
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.body).error).toMatch(
      /pod .*\/forged was not injected by crewgate: its crewgate-sidecar container is not the injector's \(differs in .*image/,
    );
    expect(refused.body).not.toContain('s3cret');
  });

  it('refuses a faithful copy of an injected pod whose agent also mounts the token, and one whose grant is gone', async () => {
    const copy = injectedPod('copy');
    copy.spec.containers[0]!.volumeMounts = [{ name: 'crewgate-token', mountPath: '/tmp/t', readOnly: true }];
    expect((await kubectl(harness, ['apply', '-f', '-'], { input: JSON.stringify(copy) })).stderr).toBe('');
    const refused = await call('POST', '/v1/credentials', await tokenFor('copy'), { connection: 'shop-db' });
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.body).error).toMatch(/container agent mounts crewgate-token/);

    // A genuine injected pod stops getting credentials when its namespace is no longer selected.
    await kubectl(harness, ['label', 'namespace', ns, 'crewgate.dev/inject-']);
    try {
      const unselected = await call('POST', '/v1/credentials', await tokenFor('crew-0'), {
        connection: 'shop-db',
      });
      expect(unselected.status).toBe(403);
      expect(JSON.parse(unselected.body).error).toMatch(/not selected for injection/);
    } finally {
      await kubectl(harness, ['label', 'namespace', ns, 'crewgate.dev/inject=enabled']);
    }
    expect(
      (await call('POST', '/v1/credentials', await tokenFor('crew-0'), { connection: 'shop-db' })).status,
    ).toBe(200);
  });

  it('refuses a token once its pod is gone', async () => {
    await kubectl(harness, ['apply', '-f', '-'], { input: pod('short-lived', true) });
    const token = await tokenFor('short-lived');
    expect((await call('GET', '/v1/bundle', token)).status).toBe(200);
    await kubectl(harness, ['delete', 'pod', 'short-lived', '-n', ns, '--grace-period=0', '--force']);
    const after = await call('GET', '/v1/bundle', token);
    expect([401, 403]).toContain(after.status);
  });
});

describe('the sidecar’s control-plane client', () => {
  it('enforces nothing before its first bundle, then the pod’s policies, and follows an edit in under 2 s', async () => {
    const tokenFile = join(mkdtempSync(join(tmpdir(), 'crewgate-token-')), 'token');
    writeFileSync(tokenFile, await tokenFor('crew-0'));
    const client = new ControlPlaneClient({
      url: `https://127.0.0.1:${api.port}`,
      tokenFile,
      caCertificates: [ca],
      logger: silentLogger(),
    });
    const command = (operations: string[]) => ({
      connection: 'shop-db',
      protocol: 'postgres' as const,
      identity: {
        subject: `system:serviceaccount:${ns}:research-crew`,
        groups: [],
        serviceAccount: `${ns}/research-crew`,
      },
      operations,
      resources: ['orders', 'read:orders'],
      text: 'x',
      attributes: {},
    });
    expect(evaluate(client.current().policies, command(['select']), [], new Date()).action).toBe('Deny');
    client.start();
    await client.ready();
    expect(evaluate(client.current().policies, command(['select']), [], new Date()).action).toBe('Allow');
    expect(await client.credentials('shop-db')).toEqual({ username: 'app', password: 's3cret' });

    const editedAt = Date.now();
    await kubectl(harness, [
      'patch',
      'accesspolicy',
      'crew',
      '-n',
      ns,
      '--type=json',
      '-p',
      '[{"op":"replace","path":"/spec/rules/0/action","value":"Deny"}]',
    ]);
    while (
      evaluate(client.current().policies, command(['select']), [], new Date()).action !== 'Deny' &&
      Date.now() - editedAt < 5_000
    ) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const took = Date.now() - editedAt;
    client.stop();
    console.log(`policy edit in force in the sidecar after ${took} ms`);
    expect(took).toBeLessThan(2_000);
  });
});

describe('a forged injection in a namespace the webhook watches', () => {
  let local: LocalOperator;
  const watched = `cp-watched-${Date.now()}`;
  beforeAll(async () => {
    local = await startLocalOperator(harness, `cpw${Date.now()}`);
    await kubectl(harness, ['create', 'namespace', watched]);
    await kubectl(harness, [
      'label',
      'namespace',
      watched,
      `crewgate-test=${local.id}`,
      'crewgate.dev/inject=enabled',
    ]);
    await kubectl(harness, ['create', 'serviceaccount', 'research-crew', '-n', watched]);
  }, 60_000);
  afterAll(async () => {
    await local?.stop();
  });

  it('is refused at creation by the real API server calling the webhook', async () => {
    const refused = await kubectl(harness, ['apply', '-f', '-'], {
      input: JSON.stringify(forgedPod('forged', watched)),
    });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(
      /denied the request: crewgate: pod forged claims to be injected \(annotation crewgate.dev\/status=injected\) but is not what crewgate's injector produces/,
    );
    const listed = await kubectl(harness, ['get', 'pod', 'forged', '-n', watched, '--ignore-not-found']);
    expect(listed.stdout.trim()).toBe('');
  });
});
