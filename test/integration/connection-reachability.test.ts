// The Connection reconciler's optional reachability probe against the real API server: a target
// that accepts TCP connections is Reachable, one that does not makes the Connection not Ready with
// the reason, and the condition follows the target when it comes up later (periodic re-check).
import { createServer, type Server } from 'node:net';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { kubeClients } from '../../operator/kube/client.js';
import { Manager } from '../../operator/manager.js';
import { tcpProbe } from '../../operator/reconcilers/probe-target.js';
import { silentLogger } from '../../sidecar/logging.js';
import { freePort } from '../harness/ports.js';
import { kubectl } from '../harness/run.js';

const harness = inject('harness');
const ns = `reachability-${Date.now()}`;
let manager: Manager;
let lateServer: Server | undefined;

beforeAll(async () => {
  expect((await kubectl(harness, ['create', 'namespace', ns])).code).toBe(0);
  const secret = await kubectl(harness, [
    'create',
    'secret',
    'generic',
    'db-credentials',
    '-n',
    ns,
    '--from-literal=username=app',
    '--from-literal=password=x',
  ]);
  expect(secret.code).toBe(0);
  manager = new Manager({
    clients: kubeClients(harness.controlPlane.adminKubeconfig),
    logger: silentLogger(),
    registry: new Registry(),
    probe: { probe: tcpProbe(1_000), everyMs: 1_000 },
  });
  await manager.start();
});
afterAll(async () => {
  await manager?.stop();
  lateServer?.close();
  await kubectl(harness, ['delete', 'namespace', ns, '--wait=false']);
});

const connection = (name: string, address: string) => `apiVersion: crewgate.dev/v1alpha1
kind: Connection
metadata: { name: ${name}, namespace: ${ns} }
spec: { type: postgres, address: '${address}', database: shop, credentialsRef: { name: db-credentials } }
`;

async function conditions(
  name: string,
): Promise<Record<string, { status: string; reason: string; message: string }>> {
  const out = await kubectl(harness, [
    'get',
    'connection',
    name,
    '-n',
    ns,
    '-o',
    'jsonpath={.status.conditions}',
  ]);
  const list = (out.stdout ? JSON.parse(out.stdout) : []) as {
    type: string;
    status: string;
    reason: string;
    message: string;
  }[];
  return Object.fromEntries(list.map((c) => [c.type, c]));
}

async function until(name: string, accept: (c: Awaited<ReturnType<typeof conditions>>) => boolean) {
  const deadline = Date.now() + 20_000;
  let seen = await conditions(name);
  while (!accept(seen) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    seen = await conditions(name);
  }
  return seen;
}

describe('Connection reachability', () => {
  it('is Reachable and Ready when the target accepts TCP connections', async () => {
    const { host, port } = harness.postgres;
    await kubectl(harness, ['apply', '-f', '-'], { input: connection('shop-db', `${host}:${port}`) });
    const seen = await until('shop-db', (c) => c.Reachable?.status === 'True');
    expect(seen.Reachable).toMatchObject({ status: 'True', reason: 'Connected' });
    expect(seen.Reachable!.message).toContain(`${host}:${port} accepts TCP connections`);
    expect(seen.Ready).toMatchObject({ status: 'True' });
  });

  it('is not Ready, saying why, while nothing listens; Ready once the target comes up', async () => {
    const port = await freePort();
    await kubectl(harness, ['apply', '-f', '-'], { input: connection('late-db', `127.0.0.1:${port}`) });
    const down = await until('late-db', (c) => c.Reachable?.status === 'False');
    expect(down.Reachable).toMatchObject({ status: 'False', reason: 'Unreachable' });
    expect(down.Reachable!.message).toContain(`127.0.0.1:${port}: ECONNREFUSED`);
    expect(down.Ready).toMatchObject({ status: 'False', reason: 'Unreachable' });
    const events = await kubectl(harness, [
      'get',
      'events',
      '-n',
      ns,
      '--field-selector',
      'involvedObject.name=late-db',
      '-o',
      'jsonpath={.items[*].reason}',
    ]);
    expect(events.stdout).toContain('Unreachable');

    lateServer = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => lateServer!.listen(port, '127.0.0.1', () => resolve()));
    const up = await until('late-db', (c) => c.Ready?.status === 'True');
    expect(up.Reachable).toMatchObject({ status: 'True', reason: 'Connected' });
    expect(up.Ready).toMatchObject({ status: 'True' });
  });
});
