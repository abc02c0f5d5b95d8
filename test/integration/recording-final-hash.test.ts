// The copy of a session's final hash kept outside the store: a recorded session's end reaches a
// local operator over the pod-bound token, which writes a SessionRecorded Event on the pod (the pod
// from the verified token, whatever the body says); `crewgate verify` reads that Event back and
// fails a session whose trailing events the store's admin deleted, which the chain alone cannot see.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { main } from '../../operator/cli/crewgate.js';
import { ControlPlaneClient } from '../../sidecar/control-plane/control-plane-client.js';
import { silentLogger } from '../../sidecar/logging.js';
import { openRecording, SessionEndReporter, type Recording } from '../../sidecar/recording/index.js';
import { writeUserKubeconfig } from '../harness/kubeconfig.js';
import { kubectl } from '../harness/run.js';
import { serviceAccountToken } from '../harness/service-account-token.js';
import { bindChartRole } from './support/chart-roles.js';
import { startLocalOperator, type LocalOperator } from './support/local-operator.js';
import {
  startRecordingStore,
  storedEvents,
  type RecordingStoreUnderTest,
} from './support/recording-store.js';

const harness = inject('harness');
const id = `fh${Date.now().toString(36)}`;
const ns = `agents-fh-${id}`;
let local: LocalOperator;
let store: RecordingStoreUnderTest;
let recording: Recording;
let reporter: SessionEndReporter;
let client: ControlPlaneClient;
let unbindAuditors: (() => Promise<void>) | undefined;

const crewgate = async (...args: string[]) => {
  const lines: string[] = [];
  const code = await main(
    args,
    { line: (t) => lines.push(t), raw: (c) => lines.push(String(c)) },
    // No ~/.kube/config to fall back on: only what the test passes.
    { CREWGATE_STORE_URL: store.readerUrl(), HOME: mkdtempSync(join(tmpdir(), 'crewgate-home-')) },
  );
  return { code, stdout: lines.join('\n') };
};

async function until<T>(what: string, f: () => Promise<T | undefined> | T | undefined, ms = 15_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await f();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  local = await startLocalOperator(harness, id);
  store = await startRecordingStore('finalhash');
  const applied = await kubectl(harness, ['apply', '-f', '-'], {
    input: `apiVersion: v1
kind: Namespace
metadata: { name: ${ns}, labels: { crewgate-test: ${id}, crewgate.dev/inject: enabled } }
---
apiVersion: v1
kind: ServiceAccount
metadata: { name: research-crew, namespace: ${ns} }
---
apiVersion: crewgate.dev/v1alpha1
kind: Connection
metadata: { name: shop-db, namespace: ${ns} }
spec: { type: postgres, address: 127.0.0.1:5432, database: shop, credentialsRef: { name: shop-db-credentials } }
---
apiVersion: crewgate.dev/v1alpha1
kind: AccessPolicy
metadata: { name: crew-pod, namespace: ${ns} }
spec:
  subjects: [{ serviceAccount: { name: research-crew } }]
  connections: [shop-db]
  defaultAction: Deny
---
apiVersion: v1
kind: Pod
metadata: { name: crew-0, namespace: ${ns}, annotations: { crewgate.dev/connections: shop-db } }
spec:
  serviceAccountName: research-crew
  containers: [{ name: agent, image: python:3.12 }]
`,
  });
  expect(applied.code, applied.stderr).toBe(0);
  const token = await serviceAccountToken(harness, {
    namespace: ns,
    serviceAccount: 'research-crew',
    audience: 'crewgate',
    pod: 'crew-0',
  });
  const tokenFile = join(mkdtempSync(join(tmpdir(), 'crewgate-sidecar-token-')), 'token');
  writeFileSync(tokenFile, token.stdout.trim());
  client = new ControlPlaneClient({
    url: local.sidecarApiUrl,
    tokenFile,
    caCertificates: [local.operator.caCertificatePem],
    logger: silentLogger(),
  });
  reporter = new SessionEndReporter({
    // The body names another pod: the operator must use the token's.
    send: (s) => client.sessionEnded({ ...s, pod: 'someone-else' } as typeof s),
    initialDelayMs: 50,
  });
  recording = openRecording({
    dir: mkdtempSync(join(tmpdir(), 'crewgate-spool-')),
    fsync: { mode: 'interval', intervalMs: 50 },
    maxBytes: 1024 * 1024,
    store: store.storeOptions(),
    backoff: { initialMs: 20, maxMs: 200 },
    onSessionEnd: (s) => reporter.report(s),
  });
}, 120_000);

afterAll(async () => {
  await unbindAuditors?.();
  await reporter?.stop();
  await recording?.close(2_000);
  await store?.server.stop();
  await local?.stop();
  await kubectl(harness, ['delete', 'namespace', ns, '--wait=false', '--ignore-not-found']);
});

describe("a session's final hash outside the store", () => {
  it('lands in a SessionRecorded Event on the pod, and verify catches deleted trailing events with it', async () => {
    const session = randomUUID();
    const r = recording.recorder;
    r.record(session, {
      type: 'session.start',
      identity: { subject: 'agent-x', groups: [], pod: `${ns}/crew-0` },
      connection: 'shop-db',
      protocol: 'ssh',
      client: '127.0.0.1:1',
    });
    for (let i = 0; i < 5; i++)
      r.recordTerminal(session, { stream: 'stdout', bytes: Buffer.from(`line ${i}\r\n`), elapsedMs: i });
    r.record(session, { type: 'error', message: 'exit 0' });
    r.record(session, { type: 'session.end', reason: 'client closed' });
    await recording.shipper.drained(10_000);
    await until('the report', () => (reporter.delivered === 1 ? true : undefined));

    const stored = await store.asAdmin((c) => storedEvents(c, session));
    const end = stored.at(-1)!;
    expect(end.type).toBe('session.end');
    const events = await until('the Event', async () => {
      const got = await kubectl(harness, [
        'get',
        'events',
        '-n',
        ns,
        '--field-selector',
        'reason=SessionRecorded',
        '-o',
        'json',
      ]);
      const items = (
        JSON.parse(got.stdout) as {
          items: { message: string; involvedObject: { name: string }; metadata: { annotations: object } }[];
        }
      ).items.filter((e) => e.message.includes(session));
      return items.length > 0 ? items : undefined;
    });
    expect(events).toHaveLength(1);
    expect(events[0]!.involvedObject.name).toBe('crew-0');
    expect(events[0]!.message).toBe(
      `session ${session} recorded: ${stored.length} events, final hash ${end.hash}`,
    );
    expect(events[0]!.metadata.annotations).toMatchObject({ 'crewgate.dev/final-hash': end.hash });

    // An auditor holding only what the chart's crewgate-auditor role grants.
    unbindAuditors = await bindChartRole(harness, 'crewgate-auditor', id, [`auditors-${id}`]);
    const kubeconfig = await writeUserKubeconfig(harness.controlPlane, 'audrey', [`auditors-${id}`]);
    const intact = await crewgate('verify', session, '--kubeconfig', kubeconfig);
    expect(intact.stdout).toMatch(
      new RegExp(
        `^OK ${session}: ${stored.length} events, chain intact, final hash ${end.hash} matches Event ${ns}/`,
      ),
    );
    expect(intact.code).toBe(0);

    // The store's admin deletes the session's last two events: what is left is an intact chain.
    await store.asAdmin((c) =>
      c.query('DELETE FROM recording.events WHERE session = $1 AND seq >= $2', [session, stored.length - 2]),
    );
    const chainOnly = await crewgate('verify', session);
    expect(chainOnly.code).toBe(0);
    expect(chainOnly.stdout).toMatch(/chain intact \(no session\.end/);

    const truncated = await crewgate('verify', session, '--kubeconfig', kubeconfig);
    expect(truncated.stdout).toMatch(
      new RegExp(
        `^FAILED ${session}: the final hash [0-9a-f]{64} is not the expected ${end.hash} from Event ${ns}/`,
      ),
    );
    expect(truncated.code).toBe(1);
  });

  it('refuses a report without a pod-bound token or with a malformed hash', async () => {
    const tokenless = new ControlPlaneClient({
      url: local.sidecarApiUrl,
      tokenFile: (() => {
        const f = join(mkdtempSync(join(tmpdir(), 'crewgate-token-')), 'token');
        writeFileSync(f, 'not-a-token');
        return f;
      })(),
      caCertificates: [local.operator.caCertificatePem],
      logger: silentLogger(),
    });
    await expect(
      tokenless.sessionEnded({ session: 's', events: 1, finalHash: 'a'.repeat(64) }),
    ).rejects.toMatchObject({ status: expect.any(Number) });
    const refused = await tokenless
      .sessionEnded({ session: 's', events: 1, finalHash: 'a'.repeat(64) })
      .catch((e: { status?: number }) => e.status);
    expect([401, 403]).toContain(refused);
    const malformed = await client
      .sessionEnded({ session: 's', events: 1, finalHash: 'not-a-hash' })
      .catch((e: { status?: number; message: string }) => e);
    expect(malformed).toMatchObject({ status: 400, message: expect.stringMatching(/hex SHA-256/) });
  });
});
