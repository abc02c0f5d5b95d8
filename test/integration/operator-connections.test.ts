// The Connection reconciler against the real API server: conditions with observedGeneration,
// reasons a platform engineer can act on, and Events on the object.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Controller } from '../../operator/controller/controller.js';
import { kubeClients } from '../../operator/kube/client.js';
import { EventRecorder } from '../../operator/kube/events.js';
import { customResourceInformer, secretInformer } from '../../operator/kube/informers.js';
import { connectionReconciler, connectionsNamingSecret, type ConnectionObject } from '../../operator/reconcilers/connection-reconciler.js';
import { silentLogger } from '../../sidecar/logging.js';
import { kubectl } from '../harness/run.js';

const harness = inject('harness');
const ns = `conn-${Date.now()}`;
let controller: Controller<ConnectionObject>;

beforeAll(async () => {
  expect((await kubectl(harness, ['create', 'namespace', ns])).code).toBe(0);
  const clients = kubeClients(harness.controlPlane.adminKubeconfig);
  const logger = silentLogger();
  const connections = customResourceInformer<ConnectionObject>(clients, 'connections');
  controller = new Controller<ConnectionObject>({
    name: 'connections',
    informer: connections,
    watches: [{ informer: secretInformer(clients), keysFor: (secret) => connectionsNamingSecret(connections.list(), secret) }],
    reconcile: connectionReconciler({ clients, events: new EventRecorder(clients, 'crewgate-operator'), logger }),
    logger,
  });
  await controller.start();
});
afterAll(async () => {
  await controller?.stop();
});

async function condition(name: string, type: string): Promise<{ status?: string; reason?: string; message?: string; observedGeneration?: number }> {
  const out = await kubectl(harness, ['get', 'connection', name, '-n', ns, '-o', `jsonpath={.status.conditions[?(@.type=="${type}")]}`]);
  return out.stdout ? JSON.parse(out.stdout) : {};
}

async function eventually<T>(probe: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (accept(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('Connection reconciler', () => {
  it('says why a Connection is not ready, then Ready once its Secret is complete, with Events', async () => {
    const manifest = `apiVersion: crewgate.dev/v1alpha1
kind: Connection
metadata: { name: reporting-db, namespace: ${ns} }
spec:
  type: postgres
  address: 127.0.0.1:5432
  credentialsRef: { name: reporting-db-credentials }
`;
    expect((await kubectl(harness, ['apply', '-f', '-'], { input: manifest })).code).toBe(0);
    const missing = await eventually(() => condition('reporting-db', 'CredentialsResolved'), (c) => c.reason === 'SecretNotFound');
    expect(missing).toMatchObject({ status: 'False', reason: 'SecretNotFound', observedGeneration: 1 });

    await kubectl(harness, ['create', 'secret', 'generic', 'reporting-db-credentials', '-n', ns, '--from-literal=username=app']);
    const partial = await eventually(() => condition('reporting-db', 'CredentialsResolved'), (c) => c.reason === 'MissingKeys');
    expect(partial.message).toMatch(/lacks password/);

    await kubectl(harness, ['patch', 'secret', 'reporting-db-credentials', '-n', ns, '--type=merge', '-p', JSON.stringify({ stringData: { password: 'x' } })]);
    const ready = await eventually(() => condition('reporting-db', 'Ready'), (c) => c.status === 'True');
    expect(ready).toMatchObject({ status: 'True', reason: 'Ready' });

    const printed = await kubectl(harness, ['get', 'connections', '-n', ns]);
    expect(printed.stdout).toMatch(/reporting-db\s+postgres\s+127\.0\.0\.1:5432\s+True/);
    const events = await kubectl(harness, ['get', 'events', '-n', ns, '--field-selector', 'involvedObject.name=reporting-db', '-o', 'jsonpath={range .items[*]}{.reason} {end}']);
    expect(events.stdout).toMatch(/SecretNotFound/);
    expect(events.stdout).toMatch(/Ready/);
  });
});
