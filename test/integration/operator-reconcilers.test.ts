// The operator's reconcilers against the real API server: conditions with observedGeneration,
// reasons a platform engineer can act on, and Events on the object.
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { kubeClients } from '../../operator/kube/client.js';
import { Manager } from '../../operator/manager.js';
import { silentLogger } from '../../sidecar/logging.js';
import { kubectl } from '../harness/run.js';

const harness = inject('harness');
const ns = `reconcile-${Date.now()}`;
let manager: Manager;

beforeAll(async () => {
  expect((await kubectl(harness, ['create', 'namespace', ns])).code).toBe(0);
  manager = new Manager({
    clients: kubeClients(harness.controlPlane.adminKubeconfig),
    logger: silentLogger(),
    registry: new Registry(),
  });
  await manager.start();
});
afterAll(async () => {
  await manager?.stop();
});

async function condition(
  kind: string,
  name: string,
  type: string,
): Promise<{ status?: string; reason?: string; message?: string; observedGeneration?: number }> {
  const out = await kubectl(harness, [
    'get',
    kind,
    name,
    '-n',
    ns,
    '-o',
    `jsonpath={.status.conditions[?(@.type=="${type}")]}`,
  ]);
  return out.stdout ? JSON.parse(out.stdout) : {};
}

async function eventually<T>(
  probe: () => Promise<T>,
  accept: (value: T) => boolean,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (accept(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 200));
  }
}

const apply = async (manifest: string) => {
  const result = await kubectl(harness, ['apply', '-f', '-'], { input: manifest });
  expect(result.stderr).toBe('');
};

describe('Connection reconciler', () => {
  it('says why a Connection is not ready, then Ready as soon as its Secret is complete, with Events', async () => {
    await apply(`apiVersion: crewgate.dev/v1alpha1
kind: Connection
metadata: { name: reporting-db, namespace: ${ns} }
spec:
  type: postgres
  address: 127.0.0.1:5432
  credentialsRef: { name: reporting-db-credentials }
`);
    const missing = await eventually(
      () => condition('connection', 'reporting-db', 'CredentialsResolved'),
      (c) => c.reason === 'SecretNotFound',
    );
    expect(missing).toMatchObject({ status: 'False', reason: 'SecretNotFound', observedGeneration: 1 });

    await kubectl(harness, [
      'create',
      'secret',
      'generic',
      'reporting-db-credentials',
      '-n',
      ns,
      '--from-literal=username=app',
    ]);
    const partial = await eventually(
      () => condition('connection', 'reporting-db', 'CredentialsResolved'),
      (c) => c.reason === 'MissingKeys',
    );
    expect(partial.message).toMatch(/lacks password/);

    await kubectl(harness, [
      'patch',
      'secret',
      'reporting-db-credentials',
      '-n',
      ns,
      '--type=merge',
      '-p',
      JSON.stringify({ stringData: { password: 'x' } }),
    ]);
    const ready = await eventually(
      () => condition('connection', 'reporting-db', 'Ready'),
      (c) => c.status === 'True',
      5_000,
    );
    expect(ready).toMatchObject({ status: 'True', reason: 'Ready' });

    const printed = await kubectl(harness, ['get', 'connections', '-n', ns]);
    expect(printed.stdout).toMatch(/reporting-db\s+postgres\s+127\.0\.0\.1:5432\s+True/);
    const events = await kubectl(harness, [
      'get',
      'events',
      '-n',
      ns,
      '--field-selector',
      'involvedObject.name=reporting-db',
      '-o',
      'jsonpath={range .items[*]}{.reason} {end}',
    ]);
    expect(events.stdout).toMatch(/SecretNotFound/);
    expect(events.stdout).toMatch(/Ready/);
  });
});

describe('AccessPolicy and MaskingRule reconcilers', () => {
  it('mark a good policy Valid with what it covers, and flag a MaskingRule it names until it exists', async () => {
    await apply(`apiVersion: crewgate.dev/v1alpha1
kind: AccessPolicy
metadata: { name: analysts, namespace: ${ns} }
spec:
  subjects: [{ group: crewai-viewer }]
  connections: [reporting-db]
  rules:
    - { name: reads, match: { operations: [select] }, action: Allow }
  masking: [pii]
`);
    const unresolved = await eventually(
      () => condition('accesspolicy', 'analysts', 'MaskingResolved'),
      (c) => c.status === 'False',
    );
    expect(unresolved.reason).toBe('MaskingRuleNotFound');
    expect((await condition('accesspolicy', 'analysts', 'Valid')).status).toBe('True');
    const covered = await kubectl(harness, [
      'get',
      'accesspolicy',
      'analysts',
      '-n',
      ns,
      '-o',
      'jsonpath={.status.coveredSubjects}',
    ]);
    expect(JSON.parse(covered.stdout)).toEqual(['group:crewai-viewer']);

    await apply(`apiVersion: crewgate.dev/v1alpha1
kind: MaskingRule
metadata: { name: pii, namespace: ${ns} }
spec: { detectors: [email] }
`);
    expect(
      await eventually(
        () => condition('accesspolicy', 'analysts', 'MaskingResolved'),
        (c) => c.status === 'True',
      ),
    ).toMatchObject({ status: 'True' });
    expect(
      await eventually(
        () => condition('maskingrule', 'pii', 'Valid'),
        (c) => c.status === 'True',
      ),
    ).toMatchObject({ reason: 'Compiled' });
  });

  it('mark a policy the sidecar could not compile as not Valid, with the compile error', async () => {
    // Schema-valid, so the API server accepts it; only the engine sees the window exceeds its bound.
    await apply(`apiVersion: crewgate.dev/v1alpha1
kind: AccessPolicy
metadata: { name: too-long-window, namespace: ${ns} }
spec:
  subjects: [{ group: dba }]
  connections: [reporting-db]
  rules:
    - name: writes
      match: { operations: [update] }
      action: RequireApproval
      approval: { approverGroups: [dba], scope: Window, duration: 12h }
`);
    const invalid = await eventually(
      () => condition('accesspolicy', 'too-long-window', 'Valid'),
      (c) => c.status === 'False',
    );
    expect(invalid).toMatchObject({ reason: 'CompileFailed' });
    expect(invalid.message).toMatch(/12h exceeds maxDuration 8h/);
  });
});
