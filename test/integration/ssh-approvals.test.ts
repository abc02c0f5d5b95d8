// A held SSH exec end to end: `ssh ... touch FILE` waits with a line on stderr while an
// ApprovalRequest is Pending, a reviewer in group dba approves it with plain kubectl patch, and the
// command runs on the target. Real API server, operator and webhooks, real sshd and ssh client.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { writeUserKubeconfig } from '../harness/kubeconfig.js';
import { oidcToken } from '../harness/oidc-token.js';
import {
  grantReviewers,
  revokeReviewers,
  setUpCrewNamespace,
  type CrewNamespace,
} from './support/approvals.js';
import { fixtureInNamespace, loadManifestsFromText } from './support/harness-enforcement.js';
import { startLocalOperator, type LocalOperator } from './support/local-operator.js';
import { clientEnv, clientOptions, startSshProxy, type SshProxyUnderTest } from './support/ssh-proxy.js';

const harness = inject('harness');
const id = `${Date.now()}`;
let local: LocalOperator;
let proxy: SshProxyUnderTest;
let approvals: CrewNamespace;
let analyst: string;
/** kubeconfig of `rita` (group dba). */
let reviewer: string;
const work = mkdtempSync(join(tmpdir(), 'crewgate-ssh-approvals-'));

beforeAll(async () => {
  local = await startLocalOperator(harness, id, { CREWGATE_OPERATOR_USERNAME: 'crewgate-admin' });
  const ns = `agents-ssh-appr-${id}`;
  const policies = fixtureInNamespace('test/integration/fixtures/ssh-policies.yaml', ns);
  approvals = await setUpCrewNamespace(harness, local, {
    namespace: ns,
    policies,
    connectionName: 'bastion',
    connection: `apiVersion: crewgate.dev/v1alpha1
kind: Connection
metadata: { name: bastion, namespace: ${ns} }
spec:
  type: ssh
  address: ${harness.sshd.host}:${harness.sshd.port}
  ssh: { user: ${harness.sshd.user}, hostKey: '${harness.sshd.hostPublicKey}' }
  credentialsRef: { name: bastion-key }`,
  });
  proxy = await startSshProxy(harness, {
    approver: approvals.approver,
    manifests: loadManifestsFromText(policies),
  });
  analyst = await oidcToken(harness.oidc, 'agent-analyst');
  reviewer = await writeUserKubeconfig(harness.controlPlane, 'rita', ['dba']);
  await grantReviewers(harness, `ssh-${id}`, ['dba']);
}, 90_000);

afterAll(async () => {
  await proxy?.listener.close();
  await local?.stop();
  await revokeReviewers(harness, `ssh-${id}`);
});

/** Starts `ssh ... command` and collects its output; resolves with the exit code. */
function startSsh(command: string) {
  const child = spawn(
    'ssh',
    [...clientOptions(proxy), '-p', String(proxy.listener.port), 'agent@127.0.0.1', command],
    { env: clientEnv(analyst), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (c: Buffer) => (out.stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out.stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  return { child, out, exited };
}

describe('a held ssh exec', () => {
  it('waits with a line on stderr, and runs once a dba approves it with kubectl patch', async () => {
    const file = join(work, 'approved');
    const ssh = startSsh(`touch ${file}`);
    const name = await approvals.pendingRequest();
    const deadline = Date.now() + 5_000;
    while (!ssh.out.stderr.includes('waiting for approval') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    expect(ssh.out.stderr).toMatch(
      new RegExp(
        `^crewgate: waiting for approval: ApprovalRequest ${approvals.namespace}/${name} \\(rule changes-need-a-dba`,
      ),
    );
    expect(ssh.child.exitCode).toBeNull();
    expect(existsSync(file)).toBe(false);
    const approvedAt = Date.now();
    expect((await approvals.review(reviewer, name, 'Approve', 'fine')).stderr).toBe('');
    expect(await ssh.exited).toBe(0);
    console.log(`held ssh exec completed ${Date.now() - approvedAt} ms after the reviewer's patch`);
    expect(existsSync(file)).toBe(true);
    expect(await approvals.phase(name)).toBe('Executed');
    expect(
      proxy.recorder.events.find((e) => e.type === 'command' && e.commands[0]?.text === `touch ${file}`),
    ).toMatchObject({ decision: { action: 'Allow', rule: 'changes-need-a-dba' }, approval: name });
  });

  it('is refused with 126 naming the reviewer when denied, and never runs', async () => {
    const file = join(work, 'denied');
    const ssh = startSsh(`touch ${file}`);
    const name = await approvals.pendingRequest();
    expect((await approvals.review(reviewer, name, 'Deny', 'not today')).stderr).toBe('');
    expect(await ssh.exited).toBe(126);
    expect(ssh.out.stderr).toMatch(/\ncrewgate: denied by .*: denied by rita: not today/);
    expect(existsSync(file)).toBe(false);
  });

  it('is withdrawn when the client hangs up while waiting, and nothing runs later', async () => {
    const file = join(work, 'abandoned');
    const ssh = startSsh(`touch ${file}`);
    const name = await approvals.pendingRequest();
    ssh.child.kill('SIGKILL');
    await ssh.exited;
    expect(await approvals.phaseReaching(name, 'Cancelled')).toBe('Cancelled');
    expect((await approvals.review(reviewer, name, 'Approve', 'too late')).code).not.toBe(0);
    expect(existsSync(file)).toBe(false);
  });
});
