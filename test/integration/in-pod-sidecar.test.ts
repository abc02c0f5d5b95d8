// The in-pod sidecar, as a pod would run it: a pod created in a labelled namespace is injected by
// the real webhook; the sidecar process is started with the injected container's args and the
// pod's volumes (the config annotation, a TokenRequest token bound to the pod, the spool), and it
// takes everything else from the operator's control plane: its bundle, the Connection's target,
// CA and credentials, the issuers to trust, and the recording store the operator provisioned.
// Also: a Window grant (issue 6) lets a second UPDATE through without a new request, survives a
// sidecar restart, and ends.
import { spawn } from 'node:child_process';
import { createPrivateKey, randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { TOKEN_DIR, TOKEN_FILE } from '../../operator/injection/constants.js';
import { writeUserKubeconfig } from '../harness/kubeconfig.js';
import { oidcToken } from '../harness/oidc-token.js';
import { kubectl } from '../harness/run.js';
import { serviceAccountToken } from '../harness/service-account-token.js';
import {
  launchSidecar,
  preparePodRoot,
  startInPodSidecar,
  type InPodSidecar,
} from './support/in-pod-sidecar.js';
import {
  grantReviewers,
  pendingApprovalRequest,
  reviewApprovalRequest,
  revokeReviewers,
} from './support/approvals.js';
import { startInPodOperator, type InPodOperator } from './support/in-pod-operator.js';
import { agentPgEnv, shopAppClient } from './support/postgres-proxy.js';

const harness = inject('harness');
const id = `${Date.now()}`;
const ns = `agents-inpod-${id}`;
const WINDOW_SECONDS = 20;
/** A table of this file's own, so the shared `shop` rows other tests read stay as seeded. */
const table = `refunds_${id}`;
let operator: InPodOperator;
let sidecar: InPodSidecar;
let analyst: string;
let reviewer: string;

const apply = (manifest: string) => kubectl(harness, ['apply', '-f', '-'], { input: manifest });

const analystsPolicy = `apiVersion: crewgate.dev/v1alpha1
kind: AccessPolicy
metadata: { name: analysts, namespace: ${ns} }
spec:
  subjects: [{ group: crewai-viewer }]
  connections: [shop-db]
  rules:
    - name: reads
      match: { operations: [select] }
      action: Allow
    - name: refunds
      match: { operations: [update] }
      action: RequireApproval
      approval: { approverGroups: [dba], scope: Window, duration: ${WINDOW_SECONDS}s, timeout: 2m }
  defaultAction: Deny
`;

const pod = (name: string, extra = '') => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  namespace: ${ns}
  annotations: { crewgate.dev/connections: shop-db }
${extra}spec:
  serviceAccountName: research-crew
  containers: [{ name: agent, image: python:3.12 }]
`;

interface StoredEvent {
  session: string;
  type: string;
  payload: Record<string, unknown> & {
    decision?: { action: string; grant?: string };
    approval?: string;
    commands?: { text: string }[];
  };
}
const storedEvents = () => operator.storedEvents<StoredEvent>();

async function eventually<T>(f: () => Promise<T | undefined>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await f();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const asApp = async <T>(f: (c: pg.Client) => Promise<T>): Promise<T> => {
  const c = await shopAppClient(harness);
  try {
    return await f(c);
  } finally {
    await c.end();
  }
};

// A command that should not be held fails the test in seconds instead of waiting for a reviewer.
const agent = (port: number) =>
  new pg.Client({
    host: '127.0.0.1',
    port,
    user: 'agent',
    database: 'shop',
    password: analyst,
    query_timeout: 20_000,
  });

beforeAll(async () => {
  await asApp((c) =>
    c.query(
      `CREATE TABLE ${table} (id int PRIMARY KEY, status text); INSERT INTO ${table} VALUES (3, 'open')`,
    ),
  );
  operator = await startInPodOperator(harness, id, 'inpod-store');
  await operator.createInjectedNamespace(ns, 'research-crew');
  const pgInfo = harness.postgres;
  for (const args of [
    [
      'shop-db-credentials',
      `--from-literal=username=${pgInfo.app.user}`,
      `--from-literal=password=${pgInfo.app.password}`,
    ],
    ['shop-db-ca', `--from-file=ca.crt=${pgInfo.caCertificateFile}`],
  ]) {
    const created = await kubectl(harness, ['create', 'secret', 'generic', '-n', ns, ...args]);
    expect(created.stderr).toBe('');
  }
  const setup = await apply(`apiVersion: crewgate.dev/v1alpha1
kind: Connection
metadata: { name: shop-db, namespace: ${ns} }
spec:
  type: postgres
  address: ${pgInfo.host}:${pgInfo.port}
  database: shop
  tls: { mode: verify-full, caRef: { name: shop-db-ca, key: ca.crt } }
  credentialsRef: { name: shop-db-credentials }
---
apiVersion: crewgate.dev/v1alpha1
kind: AccessPolicy
metadata: { name: crew-pod, namespace: ${ns} }
spec:
  subjects: [{ serviceAccount: { name: research-crew } }]
  connections: [shop-db]
  defaultAction: Deny
---
${analystsPolicy}---
${pod('crew-0')}---
${pod('plain-0', '  labels: { crewgate.dev/inject: disabled }\n')}`);
  expect(setup.stderr).toBe('');
  analyst = await oidcToken(harness.oidc, 'agent-analyst');
  reviewer = await writeUserKubeconfig(harness.controlPlane, 'rita', ['dba']);
  await grantReviewers(harness, id, ['dba']);
  sidecar = await startInPodSidecar(harness, ns, 'crew-0');
}, 120_000);

afterAll(async () => {
  await sidecar?.stop();
  await operator?.stop();
  await asApp((c) => c.query(`DROP TABLE IF EXISTS ${table}`)).catch(() => undefined);
  await revokeReviewers(harness, id);
});

describe('the in-pod sidecar', () => {
  it('runs from the injected container’s args and config, and receives its bundle from the control plane', async () => {
    const injected = JSON.parse(
      (await kubectl(harness, ['get', 'pod', 'crew-0', '-n', ns, '-o', 'json'])).stdout,
    ) as { spec: { initContainers: { name: string; args: string[] }[] } };
    expect(injected.spec.initContainers.find((c) => c.name === 'crewgate-sidecar')?.args).toEqual([
      '--config',
      '/etc/crewgate/sidecar.yaml',
    ]);
    await sidecar.untilReady();
    // The log line is pino's (buffered), the ready line console's: give the log a moment to arrive.
    const deadline = Date.now() + 5_000;
    while (!sidecar.output().includes('policy bundle updated') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    expect(sidecar.output()).toContain('policy bundle updated');
    expect(sidecar.output()).not.toContain(harness.postgres.app.password);
  });

  it('serves a psql session against the target with the Connection Secret’s credentials and CA', async () => {
    const psql = spawn(
      join(harness.postgres.binDir, 'psql'),
      ['-XAt', '-c', 'SELECT current_user', '-c', 'SELECT count(*) FROM orders WHERE id <= 3'],
      { env: agentPgEnv(sidecar.ports['shop-db']!, analyst) },
    );
    let out = '';
    let err = '';
    psql.stdout.on('data', (c: Buffer) => (out += c.toString()));
    psql.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const code = await new Promise<number | null>((resolve) => psql.on('close', resolve));
    expect(err).toBe('');
    expect(code).toBe(0);
    // The upstream session runs as the Secret's user; the agent only ever presented its OIDC token.
    expect(out.trim().split('\n')).toEqual([harness.postgres.app.user, '3']);
  });

  it('enforces an AccessPolicy edit in under 2 s', async () => {
    const client = agent(sidecar.ports['shop-db']!);
    await client.connect();
    await client.query('SELECT count(*) FROM customers');
    const editedAt = Date.now();
    const patched = await kubectl(harness, [
      'patch',
      'accesspolicy',
      'analysts',
      '-n',
      ns,
      '--type=json',
      '-p',
      JSON.stringify([
        {
          op: 'add',
          path: '/spec/rules/0',
          value: {
            name: 'no-customers',
            match: { operations: ['select'], resources: ['customers'] },
            action: 'Deny',
          },
        },
      ]),
    ]);
    expect(patched.stderr).toBe('');
    let denied: pg.DatabaseError | undefined;
    while (!denied && Date.now() - editedAt < 5_000) {
      denied = await client
        .query('SELECT count(*) FROM customers')
        .then(() => undefined)
        .catch((e: pg.DatabaseError) => e);
      if (!denied) await new Promise((r) => setTimeout(r, 10));
    }
    const took = Date.now() - editedAt;
    await client.end();
    console.log(`AccessPolicy edit enforced by the in-pod sidecar ${took} ms after kubectl patch was issued`);
    expect(denied?.code).toBe('42501');
    expect(denied?.message).toMatch(/no-customers/);
    expect(took).toBeLessThan(2_000);
    expect((await apply(analystsPolicy)).stderr).toBe('');
  });

  it('ships its events to the recording store the operator provisioned', async () => {
    const events = await eventually(async () => {
      const all = await storedEvents();
      return all.some((e) => e.type === 'command' && e.payload.commands?.[0]?.text === 'SELECT current_user')
        ? all
        : undefined;
    }, 'the psql session in the store');
    const start = events.find(
      (e) =>
        e.type === 'session.start' &&
        (e.payload.identity as { subject?: string }).subject === 'agent-analyst',
    );
    expect(start?.payload).toMatchObject({ connection: 'shop-db', protocol: 'postgres' });
    const denied = events.find(
      (e) =>
        e.type === 'command' &&
        e.payload.decision?.action === 'Deny' &&
        e.payload.commands?.[0]?.text.includes('customers'),
    );
    expect(denied).toBeDefined();
    // The ended session's final hash also reached the operator: a SessionRecorded Event on the pod.
    const ended = await eventually(async () => {
      const rows = await operator.asStoreAdmin(
        async (c) =>
          (
            await c.query<{ session: string; seq: number; hash: string }>(
              "SELECT session, seq, hash FROM recording.events WHERE session = $1 AND type = 'session.end'",
              [start!.session],
            )
          ).rows,
      );
      return rows[0];
    }, 'the session end in the store');
    const recorded = await eventually(async () => {
      const got = await kubectl(harness, [
        'get',
        'events',
        '-n',
        ns,
        '--field-selector',
        'reason=SessionRecorded',
        '-o',
        'jsonpath={range .items[*]}{.involvedObject.name} {.message}{"\\n"}{end}',
      ]);
      return got.stdout.split('\n').find((l) => l.includes(ended.session));
    }, 'the SessionRecorded Event');
    expect(recorded).toBe(
      `crew-0 session ${ended.session} recorded: ${ended.seq + 1} events, final hash ${ended.hash}`,
    );
  });
});

describe('the control plane refuses a sidecar', () => {
  const refusedWith = async (token: string, expected: RegExp) => {
    const { root, args } = await preparePodRoot(harness, ns, 'crew-0');
    writeFileSync(join(root, TOKEN_DIR, TOKEN_FILE), token);
    const launched = launchSidecar(args);
    try {
      await eventually(
        async () => (/control plane settings unavailable/.test(launched.output()) ? true : undefined),
        'the refusal',
      );
      expect(launched.output()).toMatch(expected);
      expect(launched.output()).not.toContain('"ready":true');
    } finally {
      launched.child.kill('SIGKILL');
      await launched.exited;
    }
  };
  const token = async (podName: string, audience?: string) =>
    (
      await serviceAccountToken(harness, {
        namespace: ns,
        serviceAccount: 'research-crew',
        pod: podName,
        ...(audience ? { audience } : {}),
      })
    ).stdout.trim();

  it('with a token bound to another pod (one crewgate did not inject)', async () => {
    await refusedWith(await token('plain-0', 'crewgate'), /403.*plain-0 was not injected by crewgate/);
  }, 30_000);

  it('with the agent’s own token (the API server’s audience, not crewgate)', async () => {
    await refusedWith(await token('crew-0'), /401.*token refused/);
  }, 30_000);

  it('with an expired token, signed by the cluster’s own service-account key', async () => {
    const get = async (kind: string, name: string) =>
      (
        JSON.parse((await kubectl(harness, ['get', kind, name, '-n', ns, '-o', 'json'])).stdout) as {
          metadata: { uid: string };
        }
      ).metadata.uid;
    const now = Math.floor(Date.now() / 1000);
    const expired = await new SignJWT({
      'kubernetes.io': {
        namespace: ns,
        pod: { name: 'crew-0', uid: await get('pod', 'crew-0') },
        serviceaccount: { name: 'research-crew', uid: await get('serviceaccount', 'research-crew') },
      },
    })
      .setProtectedHeader({ alg: 'RS256' })
      .setIssuer(harness.controlPlane.serviceAccountIssuer)
      .setAudience(['crewgate'])
      .setSubject(`system:serviceaccount:${ns}:research-crew`)
      .setJti(randomUUID())
      .setIssuedAt(now - 1200)
      .setNotBefore(now - 1200)
      .setExpirationTime(now - 600)
      .sign(createPrivateKey(readFileSync(harness.controlPlane.serviceAccountKeyFile)));
    await refusedWith(expired, /401.*token refused.*expired/);
  }, 30_000);
});

async function approvalRequests(): Promise<{ name: string; phase: string }[]> {
  const list = JSON.parse(
    (await kubectl(harness, ['get', 'approvalrequests', '-n', ns, '-o', 'json'])).stdout,
  ) as { items: { metadata: { name: string }; status?: { phase?: string } }[] };
  return list.items.map((i) => ({ name: i.metadata.name, phase: i.status?.phase ?? '' }));
}

describe('a Window grant through the in-pod sidecar', () => {
  it('lets a second UPDATE through without a new request, survives a restart, and ends', async () => {
    const first = agent(sidecar.ports['shop-db']!);
    await first.connect();
    const held = first.query(`UPDATE ${table} SET status = 'window-1' WHERE id = 3`);
    const pending = await pendingApprovalRequest(harness, ns, 15_000);
    const approved = await reviewApprovalRequest(harness, reviewer, ns, pending, 'Approve', 'window');
    expect(approved.stderr).toBe('');
    expect((await held).rowCount).toBe(1);

    // Within the window: no new request.
    expect((await first.query(`UPDATE ${table} SET status = 'window-2' WHERE id = 3`)).rowCount).toBe(1);
    await first.end();
    expect(await approvalRequests()).toHaveLength(1);

    // The window lives in the API: a restarted sidecar (same pod, same spool) still honours it.
    await sidecar.stop();
    sidecar = await startInPodSidecar(harness, ns, 'crew-0', { root: sidecar.root });
    await sidecar.untilReady();
    const afterRestart = agent(sidecar.ports['shop-db']!);
    await afterRestart.connect();
    expect((await afterRestart.query(`UPDATE ${table} SET status = 'window-3' WHERE id = 3`)).rowCount).toBe(
      1,
    );
    expect(await approvalRequests()).toHaveLength(1);

    // Each command the window let through is recorded with the ApprovalRequest that allowed it.
    const commands = await eventually(async () => {
      const all = (await storedEvents()).filter(
        (e) =>
          e.type === 'command' && e.payload.commands?.[0]?.text.includes(`${table} SET status = 'window-`),
      );
      return all.length === 3 ? all : undefined;
    }, 'three window commands in the store');
    expect(
      commands.map((c) => [c.payload.decision?.action, c.payload.approval ?? c.payload.decision?.grant]),
    ).toEqual([
      ['Allow', pending],
      ['Allow', pending],
      ['Allow', pending],
    ]);
    expect(commands[1]!.payload.decision?.grant).toBe(pending);

    // After the window: held again, as a new request.
    const windowEndsAt = Date.parse(
      (
        await kubectl(harness, [
          'get',
          'approvalrequest',
          pending,
          '-n',
          ns,
          '-o',
          'jsonpath={.status.windowEndsAt}',
        ])
      ).stdout,
    );
    await new Promise((r) => setTimeout(r, Math.max(0, windowEndsAt - Date.now() + 200)));
    afterRestart.on('error', () => undefined);
    void afterRestart.query(`UPDATE ${table} SET status = 'window-4' WHERE id = 3`).catch(() => undefined);
    const again = await eventually(
      async () => (await approvalRequests()).find((r) => r.phase === 'Pending' && r.name !== pending),
      'a new ApprovalRequest after the window',
    );
    expect(again).toBeDefined();
    (afterRestart as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
    await eventually(
      async () =>
        (await approvalRequests()).find((r) => r.name === again.name)?.phase === 'Cancelled'
          ? true
          : undefined,
      'the withdrawn request',
    );
    expect(
      await asApp(async (c) => (await c.query(`SELECT status FROM ${table} WHERE id = 3`)).rows[0].status),
    ).toBe('window-3');
  }, 120_000);
});
