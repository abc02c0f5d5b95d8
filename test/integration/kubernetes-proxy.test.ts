// The Kubernetes API proxy with the real kubectl against the harness's real kube-apiserver: every
// request judged by the policy core, forwarded with a real service-account token, Secret data
// masked for the subjects the MaskingRule names.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { connect as tlsConnect } from 'node:tls';
import { request } from 'node:https';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { oidcToken } from '../harness/oidc-token.js';
import { kubectl as adminKubectl, runCommand } from '../harness/run.js';
import {
  createProxyAccount,
  startKubeProxy,
  type KubeProxyUnderTest,
  type ProxyAccount,
} from './support/kubernetes-proxy.js';

const harness = inject('harness');
const ns = `kube-proxy-${Date.now()}`;
let account: ProxyAccount;
let proxy: KubeProxyUnderTest;
let analyst: string;
let operator: string;

/** `[REDACTED]` in base64, as the masker re-encodes Secret data. */
const REDACTED_B64 = Buffer.from('[REDACTED]').toString('base64');

beforeAll(async () => {
  account = await createProxyAccount(harness, ns);
  proxy = await startKubeProxy(harness, account, { serveTls: true });
  [analyst, operator] = await Promise.all([
    oidcToken(harness.oidc, 'agent-analyst'),
    oidcToken(harness.oidc, 'agent-operator'),
  ]);
  const admin = await adminKubectl(harness, [
    'create',
    'secret',
    'generic',
    'db-credentials',
    '-n',
    ns,
    '--from-literal=password=hunter2-very-secret',
  ]);
  expect(admin.code, admin.stderr).toBe(0);
});
afterAll(async () => {
  await proxy?.listener.close();
  await adminKubectl(harness, ['delete', 'namespace', ns, '--wait=false']);
});

/** One raw HTTPS request to the proxy, exactly as written (no path normalisation). */
function raw(
  path: string,
  options: { token?: string; headers?: Record<string, string>; method?: string; body?: string } = {},
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: proxy.listener.port,
        path,
        method: options.method ?? 'GET',
        ca: readFileSync(harness.caCertificateFile, 'utf8'),
        headers: {
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
          ...options.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('kubectl through the sidecar', () => {
  it('lists pods for an allowed caller', async () => {
    const created = await adminKubectl(harness, ['run', 'web', '-n', ns, '--image=nginx', '--restart=Never']);
    expect(created.code, created.stderr).toBe(0);
    const result = await proxy.kubectl(analyst, ['get', 'pods']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^NAME\s+READY\s+STATUS/);
    expect(result.stdout).toMatch(/\bweb\b/);
  });

  it('masks Secret data for a subject the MaskingRule names, and only for it', async () => {
    const masked = await proxy.kubectl(analyst, ['get', 'secrets', 'db-credentials', '-o', 'yaml']);
    expect(masked.code, masked.stderr).toBe(0);
    expect(masked.stdout).toContain(`password: ${REDACTED_B64}`);
    expect(masked.stdout).not.toContain(Buffer.from('hunter2-very-secret').toString('base64'));

    const list = await proxy.kubectl(analyst, ['get', 'secrets', '-o', 'json']);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).not.toContain(Buffer.from('hunter2-very-secret').toString('base64'));

    // kubectl's own table view (a Table answer, application/json;as=Table) still works under masking.
    const table = await proxy.kubectl(analyst, ['get', 'secrets']);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^db-credentials\s+Opaque\s+1\s/m);

    const plain = await proxy.kubectl(operator, ['get', 'secrets', 'db-credentials', '-o', 'yaml']);
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout).toContain(`password: ${Buffer.from('hunter2-very-secret').toString('base64')}`);
  });

  it('applies a ConfigMap for an allowed caller and refuses a Secret by rule, in kubectl words', async () => {
    const configMap = `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: settings, namespace: ${ns} }\ndata: { mode: fast }\n`;
    const applied = await proxy.kubectl(analyst, ['apply', '-f', '-'], configMap);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toMatch(/configmap\/settings (created|configured)/);
    const again = await proxy.kubectl(analyst, ['apply', '-f', '-'], configMap.replace('fast', 'slow'));
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/configmap\/settings configured/);

    const secret = `apiVersion: v1\nkind: Secret\nmetadata: { name: sneaky, namespace: ${ns} }\nstringData: { k: v }\n`;
    const refused = await proxy.kubectl(analyst, ['apply', '-f', '-'], secret);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/Error from server \(Forbidden\).*no-secret-writes/);
    expect(refused.stderr).toContain('agents/kube-analysts');
    expect((await adminKubectl(harness, ['get', 'secret', 'sneaky', '-n', ns])).code).not.toBe(0);
  });

  it('refuses a delete by rule and allows it for the operator crew', async () => {
    expect((await adminKubectl(harness, ['create', 'configmap', 'doomed', '-n', ns])).code).toBe(0);
    const refused = await proxy.kubectl(analyst, ['delete', 'configmap', 'doomed']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/^Error from server \(Forbidden\): crewgate: .*no-deletes/m);
    expect((await adminKubectl(harness, ['get', 'configmap', 'doomed', '-n', ns])).code).toBe(0);

    const deleted = await proxy.kubectl(operator, ['delete', 'configmap', 'doomed']);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(deleted.stdout).toMatch(/configmap "doomed" deleted/);
  });

  it('refuses a request held for approval when no approval service is configured', async () => {
    expect((await adminKubectl(harness, ['create', 'configmap', 'relabel-me', '-n', ns])).code).toBe(0);
    const held = await proxy.kubectl(analyst, ['label', 'configmap', 'relabel-me', 'tier=gold']);
    expect(held.code).not.toBe(0);
    expect(held.stderr).toMatch(/Error from server \(Forbidden\).*approval is required/);
  });
});

/** Runs kubectl until `until` shows in its stdout (or the timeout), then stops it. */
function watchUntil(
  args: string[],
  token: string,
  started: (stdout: string) => boolean,
  onStarted: () => Promise<unknown>,
  until: (stdout: string) => boolean,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(harness.controlPlane.kubectl, [
      '--kubeconfig',
      proxy.kubeconfig,
      '--token',
      token,
      '-n',
      ns,
      ...args,
    ]);
    let stdout = '';
    let stderr = '';
    let triggered = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`watch did not show the event; stdout:\n${stdout}\nstderr:\n${stderr}`));
    }, 30_000);
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      if (!triggered && started(stdout)) {
        triggered = true;
        onStarted().catch(reject);
      }
      if (triggered && until(stdout)) {
        clearTimeout(timer);
        child.kill('SIGTERM');
        resolve(stdout);
      }
    });
  });
}

describe('watches through the sidecar', () => {
  it('streams a pod created after the watch started', async () => {
    expect(
      (await adminKubectl(harness, ['run', 'first', '-n', ns, '--image=nginx', '--restart=Never'])).code,
    ).toBe(0);
    const out = await watchUntil(
      ['get', 'pods', '-w'],
      analyst,
      (s) => /\bfirst\b/.test(s),
      () => adminKubectl(harness, ['run', 'later', '-n', ns, '--image=nginx', '--restart=Never']),
      (s) => /\blater\b/.test(s),
    );
    expect(out).toMatch(/^first\s/m);
    expect(out).toMatch(/^later\s/m);
  });

  it('masks each event of a Secret watch for a subject the MaskingRule names', async () => {
    const plain = Buffer.from('watched-secret-value').toString('base64');
    const out = await watchUntil(
      ['get', 'secrets', '-w', '-o', 'json'],
      analyst,
      (s) => s.includes('"db-credentials"'),
      () =>
        adminKubectl(harness, [
          'create',
          'secret',
          'generic',
          'watched',
          '-n',
          ns,
          '--from-literal=token=watched-secret-value',
        ]),
      (s) => s.includes('"watched"') && /\}\s*$/.test(s),
    );
    expect(out).toContain('"watched"');
    expect(out).toContain(REDACTED_B64);
    expect(out).not.toContain(plain);
  });
});

describe('what reaches the API server', () => {
  it('is the Connection service account, never the agent token nor an Impersonate-* header the agent sent', async () => {
    const whoami = await proxy.kubectl(analyst, [
      'auth',
      'whoami',
      '-o',
      'json',
      '--as=system:admin',
      '--as-group=system:masters',
    ]);
    expect(whoami.code, whoami.stderr).toBe(0);
    const user = (JSON.parse(whoami.stdout) as { status: { userInfo: { username: string } } }).status
      .userInfo;
    expect(user.username).toBe(`system:serviceaccount:${ns}:${account.serviceAccount}`);

    // The same request with the agent's token sent straight to the API server is refused: it is
    // not a credential the cluster accepts, so the proxy cannot have forwarded it above.
    const direct = await runCommand(harness.controlPlane.kubectl, [
      '--server',
      harness.controlPlane.server,
      '--certificate-authority',
      harness.controlPlane.caCertificateFile,
      '--token',
      analyst,
      'auth',
      'whoami',
    ]);
    expect(direct.code).not.toBe(0);
    expect(direct.stderr).toMatch(/Unauthorized|must be logged in/);
  });

  it('carries the agent as Impersonate-User/-Group when the Connection impersonates, whatever the agent asks', async () => {
    const impersonating = await startKubeProxy(
      harness,
      await createProxyAccount(harness, `${ns}-imp`, { impersonate: true }),
      {
        serveTls: true,
        impersonate: true,
      },
    );
    try {
      const whoami = await impersonating.kubectl(analyst, [
        'auth',
        'whoami',
        '-o',
        'json',
        '--as=system:admin',
      ]);
      expect(whoami.code, whoami.stderr).toBe(0);
      const user = (
        JSON.parse(whoami.stdout) as { status: { userInfo: { username: string; groups: string[] } } }
      ).status.userInfo;
      expect(user.username).toBe('agent-analyst');
      expect(user.groups).toContain('crewai-viewer');
      // The cluster's own RBAC now judges the agent, who has no Role there.
      const pods = await impersonating.kubectl(analyst, ['get', 'pods']);
      expect(pods.code).not.toBe(0);
      expect(pods.stderr).toMatch(/User "agent-analyst" cannot list resource "pods"/);
    } finally {
      await impersonating.listener.close();
      await adminKubectl(harness, ['delete', 'namespace', `${ns}-imp`, '--wait=false']);
    }
  });

  it('asks the API server for JSON instead of protobuf when masking applies, and passes protobuf through otherwise', async () => {
    const path = `/api/v1/namespaces/${ns}/secrets/db-credentials`;
    const accept = { accept: 'application/vnd.kubernetes.protobuf, application/json' };
    const masked = await raw(path, { token: analyst, headers: accept });
    expect(masked.status).toBe(200);
    expect(masked.headers['content-type']).toBe('application/json');
    const secret = JSON.parse(masked.body) as { data: Record<string, string> };
    expect(secret.data.password).toBe(REDACTED_B64);
    expect(Number(masked.headers['content-length'])).toBe(Buffer.byteLength(masked.body));

    const unmasked = await raw(path, { token: operator, headers: accept });
    expect(unmasked.status).toBe(200);
    expect(unmasked.headers['content-type']).toBe('application/vnd.kubernetes.protobuf');
  });
});

describe('bad input', () => {
  it('refuses paths that try to escape with a 400 Status, and keeps serving', async () => {
    for (const path of [
      `/api/v1/namespaces/${ns}/pods/web/exec/../../..`,
      `/api/v1/namespaces/${ns}/pods/web/%2e%2e/%2e%2e/secrets`,
      `/api/v1/namespaces/${ns}//secrets`,
    ]) {
      const res = await raw(path, { token: analyst });
      expect(res.status, path).toBe(400);
      const status = JSON.parse(res.body) as { kind: string; reason: string; message: string };
      expect(status).toMatchObject({ kind: 'Status', reason: 'BadRequest', code: 400 });
      expect(status.message).toMatch(/cannot be read safely/);
    }
    expect((await proxy.kubectl(analyst, ['get', 'pods'])).code).toBe(0);
  });

  it('refuses oversized headers with a 431, and keeps serving', async () => {
    const res = await raw(`/api/v1/namespaces/${ns}/pods`, {
      token: analyst,
      headers: { 'x-padding': 'a'.repeat(64 * 1024) },
    });
    expect(res.status).toBe(431);
    expect(JSON.parse(res.body)).toMatchObject({ kind: 'Status', code: 431 });
    expect((await proxy.kubectl(analyst, ['get', 'pods'])).code).toBe(0);
  });

  it('answers a malformed JSON body with the API server Status, and keeps serving', async () => {
    const res = await raw(`/api/v1/namespaces/${ns}/configmaps`, {
      token: analyst,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {',
    });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toMatchObject({ kind: 'Status', reason: 'BadRequest' });
    expect((await proxy.kubectl(analyst, ['get', 'pods'])).code).toBe(0);
  });

  it('refuses an upgrade from an unauthenticated caller with a 401 Status, and one missing its Connection header with a 400', async () => {
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = tlsConnect(
        { host: '127.0.0.1', port: proxy.listener.port, ca: readFileSync(harness.caCertificateFile, 'utf8') },
        () => {
          socket.write(
            `POST /api/v1/namespaces/${ns}/pods/web/exec?command=id&stdout=true HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n\r\n`,
          );
        },
      );
      let text = '';
      socket.on('data', (c: Buffer) => (text += c.toString()));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 401 /);
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toMatchObject({
      kind: 'Status',
      reason: 'Unauthorized',
    });

    const half = await raw(`/api/v1/namespaces/${ns}/pods/web/exec?command=id`, {
      token: analyst,
      method: 'POST',
      headers: { upgrade: 'SPDY/3.1' },
    });
    expect(half.status).toBe(400);
    expect(JSON.parse(half.body)).toMatchObject({ kind: 'Status', reason: 'BadRequest' });
  });

  it('refuses a missing or invalid token with a 401 Status when there is no workload identity', async () => {
    const none = await raw(`/api/v1/namespaces/${ns}/pods`);
    expect(none.status).toBe(401);
    expect(JSON.parse(none.body)).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
    const forged = await raw(`/api/v1/namespaces/${ns}/pods`, { token: `${analyst.slice(0, -4)}AAAA` });
    expect(forged.status).toBe(401);
    expect(JSON.parse(forged.body)).toMatchObject({ reason: 'Unauthorized' });
    // kubectl itself, through the injected plain-HTTP kubeconfig of a sidecar without a workload identity.
    const plain = await startKubeProxy(harness, account);
    try {
      const kubectlNoToken = await plain.kubectl(undefined, ['get', 'pods']);
      expect(kubectlNoToken.code).not.toBe(0);
      expect(kubectlNoToken.stderr).toMatch(/must be logged in/);
    } finally {
      await plain.listener.close();
    }
  });
});

describe('the injected plain-HTTP kubeconfig', () => {
  it('reaches the API server as the pod workload identity, judged by policy', async () => {
    const workload = await startKubeProxy(harness, account, {
      workloadIdentity: {
        subject: `system:serviceaccount:${ns}:research-crew`,
        groups: ['crewai-viewer'],
        serviceAccount: `${ns}/research-crew`,
      },
    });
    try {
      const pods = await workload.kubectl(undefined, ['get', 'pods']);
      expect(pods.code, pods.stderr).toBe(0);
      expect(pods.stdout).toMatch(/\bweb\b/);
      const refused = await workload.kubectl(undefined, ['delete', 'pod', 'web']);
      expect(refused.stderr).toMatch(/Error from server \(Forbidden\).*no-deletes/);
      // kubectl never sends --token to an http:// server; the workload identity stands in.
      const start = workload.recorder.events.find((e) => e.type === 'session.start');
      expect(start).toMatchObject({ identity: { subject: `system:serviceaccount:${ns}:research-crew` } });
    } finally {
      await workload.listener.close();
    }
  });
});

describe('recording and metrics', () => {
  it('records one session per client connection with each request judged and its result', async () => {
    const before = proxy.recorder.events.length;
    const got = await proxy.kubectl(analyst, ['get', 'secret', 'db-credentials', '-o', 'yaml']);
    expect(got.code, got.stderr).toBe(0);
    // kubectl closes its connection on exit; the session ends when the socket closes.
    await new Promise((r) => setTimeout(r, 200));
    const events = proxy.recorder.events.slice(before);
    const starts = events.filter((e) => e.type === 'session.start');
    expect(starts.length).toBeGreaterThan(0);
    expect(starts[0]).toMatchObject({
      identity: { subject: 'agent-analyst' },
      protocol: 'kubernetes',
      connection: 'cluster',
    });
    const command = events.find(
      (e) => e.type === 'command' && e.commands[0]?.text.includes('/secrets/db-credentials'),
    );
    expect(command).toMatchObject({
      commands: [{ operations: ['get'], resources: ['secrets'] }],
      decision: { action: 'Allow', policy: 'agents/kube-analysts', rule: 'reads' },
    });
    const result = events.find(
      (e) => e.type === 'result' && e.session === command?.session && (e.maskedFields ?? 0) > 0,
    );
    expect(result).toMatchObject({ tag: 'HTTP 200' });
    expect(events.some((e) => e.type === 'session.end' && e.session === command?.session)).toBe(true);

    const metrics = await proxy.metrics.registry.getMetricsAsJSON();
    const requests = metrics.find((m) => m.name === 'crewgate_requests_total');
    const outcomes = new Set(requests?.values.map((v) => v.labels.outcome));
    for (const o of ['allow', 'deny', 'bad_request', 'unauthorized']) expect(outcomes.has(o), o).toBe(true);
    const upstream = metrics.find((m) => m.name === 'crewgate_upstream_seconds');
    expect(
      upstream?.values.some(
        (v) => (v as { metricName?: string }).metricName === 'crewgate_upstream_seconds_count' && v.value > 0,
      ),
    ).toBe(true);
  });
});
