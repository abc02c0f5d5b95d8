// Two operator replicas on a real Lease: one leads; when it dies without releasing, the other
// takes over within the lease duration; a graceful stop hands over at once.
import { describe, expect, inject, it } from 'vitest';
import { LeaderElector } from '../../operator/controller/leader-election.js';
import { kubeClients } from '../../operator/kube/client.js';
import { silentLogger } from '../../sidecar/logging.js';
import { kubectl } from '../harness/run.js';

const harness = inject('harness');

function replica(name: string, lease: string, ns: string) {
  const state = { leading: false, startedAt: 0 };
  const elector = new LeaderElector(kubeClients(harness.controlPlane.adminKubeconfig), {
    namespace: ns,
    name: lease,
    identity: name,
    leaseDurationMs: 3_000,
    renewDeadlineMs: 2_000,
    retryPeriodMs: 300,
    logger: silentLogger(),
    onStartedLeading: () => {
      state.leading = true;
      state.startedAt = Date.now();
    },
    onStoppedLeading: () => (state.leading = false),
  });
  return { elector, state };
}

const until = async (check: () => boolean, timeoutMs: number) => {
  const deadline = Date.now() + timeoutMs;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  return check();
};

describe('leader election on a Lease', () => {
  it('elects one replica, and hands over within the lease duration when the leader dies', async () => {
    const ns = `lease-${Date.now()}`;
    await kubectl(harness, ['create', 'namespace', ns]);
    const a = replica('operator-a', 'crewgate-operator', ns);
    const b = replica('operator-b', 'crewgate-operator', ns);
    a.elector.start();
    expect(await until(() => a.state.leading, 5_000)).toBe(true);
    b.elector.start();
    await new Promise((r) => setTimeout(r, 1_500));
    expect(b.state.leading).toBe(false);
    const holder = await kubectl(harness, [
      'get',
      'lease',
      'crewgate-operator',
      '-n',
      ns,
      '-o',
      'jsonpath={.spec.holderIdentity}',
    ]);
    expect(holder.stdout).toBe('operator-a');

    // A dies: it stops renewing without releasing the lease.
    const diedAt = Date.now();
    a.elector.halt();
    expect(await until(() => b.state.leading, 8_000)).toBe(true);
    expect(b.state.startedAt - diedAt).toBeLessThan(3_000 + 1_500);

    // A graceful stop releases the lease so a new replica takes over without waiting.
    const c = replica('operator-c', 'crewgate-operator', ns);
    await b.elector.stop();
    const releasedAt = Date.now();
    c.elector.start();
    expect(await until(() => c.state.leading, 3_000)).toBe(true);
    expect(c.state.startedAt - releasedAt).toBeLessThan(1_500);
    await c.elector.stop();
  });
});
