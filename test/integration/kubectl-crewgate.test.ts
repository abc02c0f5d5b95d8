// The reviewer's plugin through the real kubectl: `kubectl crewgate ...` with the launcher's
// directory on the PATH, so kubectl's own plugin discovery runs scripts/kubectl-crewgate. Reviewers
// are client certificates the real API server authenticates; the held commands are real node-postgres
// queries through the sidecar's PostgreSQL proxy and ControlPlaneApprover against a local operator.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { writeUserKubeconfig } from '../harness/kubeconfig.js';
import { repositoryRoot } from '../harness/paths.js';
import { kubectl, runCommand } from '../harness/run.js';
import { openRecording, type Recording } from '../../sidecar/recording/index.js';
import { startApprovalCrew, type ApprovalCrew } from './support/approval-crew.js';
import { grantReviewers, revokeReviewers } from './support/approvals.js';
import { startLocalOperator, type LocalOperator } from './support/local-operator.js';
import { startRecordingStore, type RecordingStoreUnderTest } from './support/recording-store.js';

const harness = inject('harness');
const id = `${Date.now()}`;
const ns = `agents-plugin-${id}`;
// The plugin is installed as a user would: `make install-plugin`'s script links the launcher into a
// directory of its own on the PATH, and kubectl finds it there.
const pluginDir = mkdtempSync(join(tmpdir(), 'crewgate-plugin-bin-'));
const env = { ...process.env, PATH: `${pluginDir}${delimiter}${process.env.PATH ?? ''}` };
let local: LocalOperator;
let store: RecordingStoreUnderTest;
let recording: Recording;
let crew: ApprovalCrew;
let rita: string;
let requester: string;

/** `kubectl crewgate ARGS` as `kubeconfig`'s user: real kubectl finds the plugin on the PATH. */
const plugin = (kubeconfig: string, ...args: string[]) =>
  runCommand(harness.controlPlane.kubectl, ['crewgate', ...args, '-n', ns, '--kubeconfig', kubeconfig], {
    env,
  });

const hold = async (sql: string) => {
  const client = await crew.agentClient();
  const result = client.query(sql).then(
    (r) => r,
    (e: unknown) => e as pg.DatabaseError,
  );
  const name = await crew.pendingRequest();
  return { client, name, result };
};

beforeAll(async () => {
  const installed = await runCommand(join(repositoryRoot, 'scripts/install-plugin.sh'), [], {
    env: { ...env, CREWGATE_PLUGIN_DIR: pluginDir },
  });
  expect(installed.stderr).toBe('');
  expect(installed.code).toBe(0);
  store = await startRecordingStore('plugin');
  recording = openRecording({
    dir: mkdtempSync(join(tmpdir(), 'crewgate-plugin-spool-')),
    fsync: { mode: 'always' },
    maxBytes: 64 * 1024 * 1024,
    store: store.storeOptions(),
  });
  local = await startLocalOperator(harness, id, { CREWGATE_OPERATOR_USERNAME: 'crewgate-admin' });
  crew = await startApprovalCrew(harness, local, ns, undefined, recording.recorder);
  rita = await writeUserKubeconfig(harness.controlPlane, 'rita', ['dba']);
  // The requester's own OIDC subject, with a certificate in the approver group: still refused.
  requester = await writeUserKubeconfig(harness.controlPlane, 'agent-analyst', ['dba']);
  await grantReviewers(harness, id, ['dba']);
}, 90_000);

afterAll(async () => {
  await crew?.stop();
  await local?.stop();
  await recording?.close();
  await store?.server.stop();
  await revokeReviewers(harness, id);
});

describe('kubectl crewgate', () => {
  it('lists a pending request before decided ones, and shows its command, requester and rule', async () => {
    const first = await hold('DELETE FROM orders WHERE id = 6');
    const denied = await plugin(rita, 'deny', first.name, '--comment', 'not this one');
    expect(denied.stderr).toBe('');
    expect(((await first.result) as pg.DatabaseError).code).toBe('42501');
    await first.client.end();

    const second = await hold("UPDATE orders SET status = 'refunded' WHERE id = 4");
    const listed = await plugin(rita, 'list');
    expect(listed.code).toBe(0);
    const rows = listed.stdout.trim().split('\n');
    expect(rows[0]).toMatch(/^NAME\s+NAMESPACE\s+PHASE\s+REQUESTER\s+CONNECTION\s+COMMAND\s+AGE$/);
    expect(rows[1]).toMatch(
      new RegExp(
        `^${second.name}\\s+${ns}\\s+Pending\\s+agent-analyst\\s+shop-db\\s+UPDATE orders SET status = 'refunded' WHERE id = 4\\s+\\d+s$`,
      ),
    );
    expect(rows[2]).toMatch(
      new RegExp(`^${first.name}\\s+${ns}\\s+Denied\\s+agent-analyst\\s+shop-db\\s+DELETE`),
    );

    const shown = await plugin(rita, 'show', second.name);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/Phase:\s+Pending/);
    expect(shown.stdout).toMatch(/Requester:\s+agent-analyst\n\s+Groups:\s+crewai-viewer/);
    expect(shown.stdout).toMatch(new RegExp(`Pod:\\s+${ns}/crew-0`));
    expect(shown.stdout).toMatch(new RegExp(`ServiceAccount:\\s+${ns}/research-crew`));
    expect(shown.stdout).toMatch(new RegExp(`Policy:\\s+${ns}/analysts\\nRule:\\s+writes-need-a-dba`));
    expect(shown.stdout).toMatch(/Approver groups:\s+dba\nMin approvals:\s+1 \(0 so far\)/);
    expect(shown.stdout).toMatch(/Command:\n {2}UPDATE orders SET status = 'refunded' WHERE id = 4\n/);
    expect(shown.stdout).toMatch(/The session so far \(.+\):\n {2}recording store not configured/);

    // The requester approving their own command: the webhook's words, verbatim, and exit 1.
    const self = await plugin(requester, 'approve', second.name, '--comment', 'trust me');
    expect(self.code).toBe(1);
    expect(self.stderr).toMatch(
      new RegExp(
        `^Error from server: admission webhook ".+" denied the request: ApprovalRequest ${ns}/${second.name}: agent-analyst requested this command and cannot review it \\(segregation of duties\\)`,
      ),
    );
    expect(await crew.phase(second.name)).toBe('Pending');

    const approved = await plugin(rita, 'approve', second.name, '--comment', 'refund agreed');
    expect(approved.stderr).toBe('');
    expect(approved.stdout).toMatch(
      new RegExp(
        `approvalrequest/${second.name} reviewed: Approve by rita\\b[^]*\\nphase: (Approved|Executed)\\n`,
      ),
    );
    expect(((await second.result) as pg.QueryResult).rowCount).toBe(1);
    await second.client.end();
    const review = JSON.parse(
      (
        await kubectl(harness, [
          'get',
          'approvalrequest',
          second.name,
          '-n',
          ns,
          '-o',
          'jsonpath={.spec.reviews[0]}',
        ])
      ).stdout,
    ) as { reviewer: string; reviewerGroups: string[]; decision: string; comment: string };
    expect(review).toMatchObject({
      reviewer: 'rita',
      reviewerGroups: expect.arrayContaining(['dba']),
      decision: 'Approve',
      comment: 'refund agreed',
    });
  });

  it('shows the session so far from the recording store when given its address', async () => {
    const client = await crew.agentClient();
    await client.query('SELECT count(*) FROM orders WHERE id = 4');
    const result = client
      .query("UPDATE orders SET status = 'recorded' WHERE id = 4")
      .catch((e: unknown) => e);
    const name = await crew.pendingRequest();
    // The spool ships to the store in the background: wait until the earlier SELECT is there.
    let shown = await plugin(rita, 'show', name, '--store-url', store.readerUrl());
    const deadline = Date.now() + 10_000;
    while (!/> SELECT count/.test(shown.stdout) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      shown = await plugin(rita, 'show', name, '--store-url', store.readerUrl());
    }
    expect(shown.stderr).toBe('');
    const sessionPart = shown.stdout.slice(shown.stdout.indexOf('The session so far'));
    expect(sessionPart).toMatch(
      /^The session so far \([0-9a-f-]+\):\n {2}session \S+ on shop-db \(postgres\)/,
    );
    expect(sessionPart).toMatch(/ALLOW \S+\/reads\n\s+> SELECT count\(\*\) FROM orders WHERE id = 4/);
    expect((await plugin(rita, 'deny', name, '--comment', 'not today')).code).toBe(0);
    expect(((await result) as pg.DatabaseError).code).toBe('42501');
    await client.end();
  });

  it('denies with a comment the client sees in its 42501', async () => {
    const held = await hold("UPDATE orders SET status = 'written-off' WHERE id = 4");
    const denied = await plugin(rita, 'deny', held.name, '--comment', 'open a ticket first');
    expect(denied.stderr).toBe('');
    expect(denied.stdout).toMatch(/reviewed: Deny by rita[^]*\nphase: Denied\n/);
    const error = (await held.result) as pg.DatabaseError;
    expect(error.code).toBe('42501');
    expect(error.message).toMatch(/denied by rita: open a ticket first/);
    await held.client.end();
  });

  it('watches: a new request and its phase change stream out until Ctrl-C', async () => {
    const watcher = spawn(
      harness.controlPlane.kubectl,
      ['crewgate', 'watch', '-n', ns, '--kubeconfig', rita],
      {
        env,
      },
    );
    let out = '';
    let err = '';
    watcher.stdout.on('data', (c: Buffer) => (out += c.toString()));
    watcher.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const closed = new Promise<number | null>((resolve) => watcher.on('close', resolve));
    const until = async (pattern: RegExp) => {
      const deadline = Date.now() + 15_000;
      while (!pattern.test(out)) {
        if (Date.now() > deadline || watcher.exitCode !== null)
          throw new Error(`watch never printed ${pattern}:\n${out}\n${err}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    try {
      await until(/watching .+ for approval requests/);
      const held = await hold("UPDATE orders SET status = 'watched' WHERE id = 4");
      await until(
        new RegExp(`new\\s+${ns}/${held.name}\\s+Pending\\s+agent-analyst on shop-db: UPDATE orders`),
      );
      expect((await crew.review(rita, held.name, 'Deny', 'seen in watch')).stderr).toBe('');
      await until(new RegExp(`reviewed\\s+${ns}/${held.name}\\s+Deny by rita: seen in watch`));
      await until(new RegExp(`phase\\s+${ns}/${held.name}\\s+Pending -> Denied \\(by rita\\)`));
      expect(((await held.result) as pg.DatabaseError).code).toBe('42501');
      await held.client.end();
    } finally {
      watcher.kill('SIGINT');
    }
    expect(await closed).toBe(0);
    expect(err).toBe('');
  });
});
