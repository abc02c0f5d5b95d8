/**
 * `make demo`: the mission on a local control plane, for real. Starts kube-apiserver + etcd,
 * PostgreSQL, sshd and an OpenID Provider (test/harness), the operator (its webhooks called by the
 * real API server), applies examples/crewai, creates the crew's pod (the webhook injects it), runs
 * the sidecar and a scripted agent session through it, then replays and verifies the recording.
 * Keeps everything running until Ctrl-C (CREWGATE_DEMO_EXIT=1 stops at the end, for tests).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { stringify } from 'yaml';
import { operatorConfigFrom } from '../operator/config.js';
import { kubeClients } from '../operator/kube/client.js';
import { startOperator } from '../operator/operator.js';
import { provisionStore } from '../operator/recording-store/index.js';
import { createLogger } from '../sidecar/logging.js';
import { startHarness } from '../test/harness/index.js';
import { localWebhookConfigurations } from '../test/harness/local-webhooks.js';
import { writeUserKubeconfig } from '../test/harness/kubeconfig.js';
import { oidcToken } from '../test/harness/oidc-token.js';
import { repositoryRoot } from '../test/harness/paths.js';
import { freePort } from '../test/harness/ports.js';
import { runCommand } from '../test/harness/run.js';

const bold = (s: string) => `\x1b[1m${s}\x1b[0m`;
/** What the chart's crewgate-reviewer ClusterRole grants, bound to group dba. */
const REVIEWER_RBAC = `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: crewgate-reviewer }
rules: [{ apiGroups: [crewgate.dev], resources: [approvalrequests], verbs: [get, list, watch, patch] }]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: crewgate-reviewers-dba }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: crewgate-reviewer }
subjects: [{ apiGroup: rbac.authorization.k8s.io, kind: Group, name: dba }]
`;
const step = (n: number, text: string) => console.log(`\n${bold(`== ${n}. ${text}`)}`);
const say = (text: string) => console.log(`   ${text}`);
const children: ChildProcess[] = [];
let stopOperator: (() => Promise<void>) | undefined;

const harness = await startHarness({ keep: process.env.CREWGATE_KEEP_HARNESS === '1' });
const { controlPlane: cp, postgres: db, oidc, startupMs, dir } = harness.info;
const kubectl = async (args: string[], input?: string) => {
  const r = await runCommand(cp.kubectl, ['--kubeconfig', cp.adminKubeconfig, ...args], { input });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};

try {
  step(
    1,
    `Local control plane, PostgreSQL, sshd and an OpenID Provider are up (${(startupMs.total! / 1000).toFixed(1)} s)`,
  );
  say(
    `kube-apiserver ${cp.version} at ${cp.server}; PostgreSQL at ${db.host}:${db.port} (TLS, SCRAM); IdP ${oidc.issuer}`,
  );

  step(
    2,
    'The recording store: a database of its own, an insert-only role for sidecars, a reader for auditors',
  );
  const storePassword = { sidecar: 'sidecar-demo-password', reader: 'reader-demo-password' };
  await provisionStore({
    admin: { host: db.host, port: db.port, user: db.superuser.user, password: db.superuser.password },
    database: 'crewgate_audit',
    sidecar: { name: 'crewgate_sidecar', password: storePassword.sidecar },
    reader: { name: 'crewgate_reader', password: storePassword.reader },
  });
  say('database crewgate_audit, roles crewgate_sidecar (INSERT only) and crewgate_reader (SELECT only)');

  step(3, 'The operator (outside the cluster here, so the API server calls its webhooks by URL)');
  const webhookPort = await freePort();
  const sidecarApiPort = await freePort();
  await kubectl(['create', 'namespace', 'crewgate-system']);
  await kubectl(['apply', '-f', '-'], localWebhookConfigurations('crewgate-operator', webhookPort));
  const operator = await startOperator(
    operatorConfigFrom([], {
      CREWGATE_NAMESPACE: 'crewgate-system',
      CREWGATE_IDENTITY: 'demo-operator',
      CREWGATE_BIND_ADDRESS: '127.0.0.1',
      CREWGATE_WEBHOOK_PORT: String(webhookPort),
      CREWGATE_SIDECAR_API_PORT: String(sidecarApiPort),
      CREWGATE_METRICS_PORT: '0',
      CREWGATE_EXTRA_IP_ADDRESSES: '127.0.0.1',
      CREWGATE_CONTROL_PLANE_URL: `https://127.0.0.1:${sidecarApiPort}`,
      // Run with the admin's kubeconfig here; in a cluster it is its own service account.
      CREWGATE_OPERATOR_USERNAME: 'crewgate-admin',
    }),
    kubeClients(cp.adminKubeconfig),
    createLogger('crewgate-operator', { level: 'error' }),
  );
  stopOperator = () => operator.stop();
  say(
    `webhooks on 127.0.0.1:${webhookPort}, sidecar API on 127.0.0.1:${sidecarApiPort}; caBundle written by the operator`,
  );

  step(4, 'A platform engineer applies examples/crewai (namespace, Connection, policies, masking rule)');
  const examples = join(repositoryRoot, 'examples/crewai');
  const connection = readFileSync(join(examples, 'connection.yaml'), 'utf8')
    .replace('address: 127.0.0.1:5432', `address: ${db.host}:${db.port}`)
    .replace('password: replace-me', `password: ${db.app.password}`);
  for (const manifest of [
    readFileSync(join(examples, 'namespace.yaml'), 'utf8'),
    connection,
    readFileSync(join(examples, 'policies.yaml'), 'utf8'),
  ]) {
    say((await kubectl(['apply', '-f', '-'], manifest)).trim().split('\n').join('\n   '));
  }
  const refused = await runCommand(cp.kubectl, ['--kubeconfig', cp.adminKubeconfig, 'apply', '-f', '-'], {
    input: readFileSync(join(examples, 'policies.yaml'), 'utf8')
      .replace('timeout: 10m, scope: Once', 'scope: Window, duration: 12h')
      .replace('name: viewers', 'name: viewers-too-long'),
  });
  say(
    `a policy with a 12h approval window is refused at apply time: ${refused.stderr.trim().split('\n')[0]}`,
  );

  step(5, 'The crew’s pod is created; the operator’s webhook injects the sidecar');
  await kubectl(['apply', '-f', join(examples, 'crew-pod.yaml')]);
  const pod = JSON.parse(await kubectl(['get', 'pod', 'research-crew-0', '-n', 'agents', '-o', 'json']));
  const agent = pod.spec.containers.find((c: { name: string }) => c.name === 'agent');
  say(
    `initContainers: ${pod.spec.initContainers.map((c: { name: string; restartPolicy?: string }) => `${c.name} (restartPolicy ${c.restartPolicy})`).join(', ')}`,
  );
  say(
    `agent env: ${agent.env.map((e: { name: string; value: string }) => `${e.name}=${e.value}`).join(' ')}`,
  );
  say(
    `agent token mounts: ${(agent.volumeMounts ?? []).filter((m: { mountPath: string }) => m.mountPath.includes('serviceaccount')).length} (automountServiceAccountToken: ${pod.spec.automountServiceAccountToken})`,
  );
  say(
    'There is no kubelet in this control plane, so the pod never runs: the sidecar below runs as a local process with the same policies,',
  );
  say(
    'proving itself to the operator with a token bound to this pod (kubectl create token --bound-object-kind=Pod), as the injected one would.',
  );
  const podToken = await kubectl([
    'create',
    'token',
    'research-crew',
    '-n',
    'agents',
    '--audience=crewgate',
    '--bound-object-kind=Pod',
    '--bound-object-name=research-crew-0',
  ]);
  const podTokenFile = join(dir, 'pod-token');
  writeFileSync(podTokenFile, podToken.trim(), { mode: 0o600 });
  const controlPlaneCa = join(dir, 'control-plane-ca.crt');
  writeFileSync(controlPlaneCa, operator.caCertificatePem);

  step(6, 'The sidecar (standalone, from the same manifests; recording spooled and shipped to the store)');
  const passwordFile = join(dir, 'shop-db.password');
  writeFileSync(passwordFile, db.app.password, { mode: 0o600 });
  const storePasswordFile = join(dir, 'store.password');
  writeFileSync(storePasswordFile, storePassword.sidecar, { mode: 0o600 });
  const config = join(dir, 'sidecar.yaml');
  writeFileSync(
    config,
    stringify({
      identity: {
        issuers: [{ issuer: oidc.issuer, audiences: [oidc.audience], caFile: oidc.caCertificateFile }],
      },
      policies: { files: [join(examples, 'policies.yaml')] },
      connections: [
        {
          name: 'shop-db',
          type: 'postgres',
          listen: { host: '127.0.0.1', port: 15432 },
          upstream: {
            host: db.host,
            port: db.port,
            database: 'shop',
            tls: { mode: 'verify-full', caFile: db.caCertificateFile },
          },
          credentials: { username: db.app.user, passwordFile },
        },
      ],
      recording: {
        spoolDir: join(dir, 'spool'),
        store: {
          host: db.host,
          port: db.port,
          database: 'crewgate_audit',
          user: 'crewgate_sidecar',
          passwordFile: storePasswordFile,
          tls: { mode: 'verify-full', caFile: db.caCertificateFile },
        },
      },
      metrics: { host: '127.0.0.1', port: 15090 },
      approvals: {
        controlPlane: {
          url: `https://127.0.0.1:${sidecarApiPort}`,
          tokenFile: podTokenFile,
          caFile: controlPlaneCa,
        },
      },
    }),
  );
  const sidecar = spawn(
    process.execPath,
    ['--import', 'tsx', join(repositoryRoot, 'sidecar/main.ts'), '--config', config],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CREWGATE_LOG_LEVEL: 'warn' },
    },
  );
  children.push(sidecar);
  await new Promise<void>((resolve, reject) => {
    let out = '';
    sidecar.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('"ready":true')) resolve();
    });
    sidecar.once('exit', (code) => reject(new Error(`sidecar exited ${code}`)));
  });
  say('listening on 127.0.0.1:15432 (PostgreSQL), metrics on 127.0.0.1:15090');

  step(7, 'The agent’s session: its usual PostgreSQL client, its OIDC token as the password');
  const token = await oidcToken(oidc, 'agent-analyst');
  const client = new pg.Client({
    host: '127.0.0.1',
    port: 15432,
    user: 'agent',
    database: 'shop',
    password: token,
  });
  await client.connect();
  const shown = async (title: string, sql: string) => {
    say(bold(title));
    say(`  ${sql}`);
    try {
      const result = await client.query(sql);
      for (const row of result.rows) say(`  → ${Object.values(row).join(' | ')}`);
      if (result.command !== 'SELECT') say(`  → ${result.command} ${result.rowCount}`);
    } catch (error) {
      const e = error as pg.DatabaseError;
      say(`  ✗ ERROR ${e.code}: ${e.message}`);
    }
  };
  await shown(
    'Allowed, masked (card numbers keep their last 4, e-mails are masked):',
    'SELECT full_name, email, card_number FROM customers ORDER BY id LIMIT 3',
  );
  await shown('Denied by rule no-drops:', 'DROP TABLE customers');
  client.on('notice', (notice) => say(`  … NOTICE: ${notice.message}`));
  const reviewer = await writeUserKubeconfig(cp, 'rita', ['dba']);
  await kubectl(['apply', '-f', '-'], REVIEWER_RBAC);
  /** Runs a statement that will be held, then reviews its ApprovalRequest as rita (group dba). */
  const heldAndReviewed = async (
    title: string,
    sql: string,
    decision: 'Approve' | 'Deny',
    comment: string,
  ) => {
    say(bold(title));
    say(`  ${sql}`);
    const held = client.query(sql).then(
      (r) => `  → ${r.command} ${r.rowCount ?? ''}${r.rows.length ? ` ${JSON.stringify(r.rows)}` : ''}`,
      (e: pg.DatabaseError) => `  ✗ ERROR ${e.code}: ${e.message}`,
    );
    let pending = '';
    for (let i = 0; i < 100 && !pending; i++) {
      pending = (
        await kubectl([
          'get',
          'approvalrequests',
          '-n',
          'agents',
          '-o',
          'jsonpath={range .items[?(@.status.phase=="Pending")]}{.metadata.name}{end}',
        ])
      ).trim();
      if (!pending) await new Promise((r) => setTimeout(r, 100));
    }
    say('  $ kubectl get approvalrequests -n agents');
    say(
      (await kubectl(['get', 'approvalrequests', '-n', 'agents']))
        .trim()
        .split('\n')
        .map((l) => `    ${l}`)
        .join('\n   '),
    );
    const patch = JSON.stringify([{ op: 'add', path: '/spec/reviews/-', value: { decision, comment } }]);
    say(
      `  $ kubectl patch approvalrequest ${pending} -n agents --type=json -p '${patch}'    # as rita, group dba`,
    );
    const patched = await runCommand(cp.kubectl, [
      '--kubeconfig',
      reviewer,
      'patch',
      'approvalrequest',
      pending,
      '-n',
      'agents',
      '--type=json',
      '-p',
      patch,
    ]);
    say(`    ${patched.stdout.trim() || patched.stderr.trim()}`);
    say(await held);
    say(
      `  reviewer stamped by the API server: ${await kubectl(['get', 'approvalrequest', pending, '-n', 'agents', '-o', 'jsonpath={.spec.reviews[0].reviewer} ({.status.phase})'])}`,
    );
  };
  await heldAndReviewed(
    'Held until a DBA approves with kubectl patch:',
    "UPDATE orders SET status = 'refunded' WHERE id = 1",
    'Approve',
    'refund agreed',
  );
  await heldAndReviewed(
    'A write hidden in a read is still a write, held too; this time the DBA denies it:',
    'WITH d AS (DELETE FROM orders RETURNING *) SELECT count(*) FROM d',
    'Deny',
    'no bulk deletes',
  );
  await shown('The session goes on after every denial:', 'SELECT count(*) AS orders FROM orders');
  await client.end();
  say('kubectl exec through the sidecar arrives with the Kubernetes proxy issue.');

  step(8, 'The auditor replays and verifies the session from the store');
  await new Promise((r) => setTimeout(r, 1_500));
  const storeUrl = `postgresql://crewgate_reader:${storePassword.reader}@${db.host}:${db.port}/crewgate_audit?sslmode=disable`;
  const cli = (args: string[]) =>
    runCommand(process.execPath, [
      '--import',
      'tsx',
      join(repositoryRoot, 'operator/cli/crewgate.ts'),
      ...args,
      '--store',
      storeUrl,
    ]);
  const sessions = await cli(['sessions', '--json']);
  const parsed = JSON.parse(sessions.stdout || '[]') as { session: string }[] | { session: string };
  const session = (Array.isArray(parsed) ? parsed.at(-1) : parsed)?.session;
  const listed = await cli(['sessions']);
  say(listed.stdout.trim().split('\n').join('\n   '));
  if (session) {
    const replay = await cli(['replay', session, '--no-wait']);
    say(replay.stdout.trim().split('\n').join('\n   '));
    const verify = await cli(['verify', session]);
    say(bold(verify.stdout.trim() || verify.stderr.trim()));
  }

  step(9, 'Connect by hand');
  say(
    `export KUBECONFIG=${cp.adminKubeconfig}   # kubectl get approvalrequests,accesspolicies,connections -A`,
  );
  const analyst = oidc.clients.find((c) => c.clientId === 'agent-analyst')!;
  say(
    `TOKEN=$(curl -s --cacert ${oidc.caCertificateFile} -u ${analyst.clientId}:${analyst.clientSecret} -d grant_type=client_credentials -d resource=${oidc.audience} ${oidc.issuer}/token | node -pe 'JSON.parse(require("fs").readFileSync(0)).access_token')`,
  );
  say(`PGPASSWORD="$TOKEN" psql "host=127.0.0.1 port=15432 user=agent dbname=shop sslmode=disable"`);
  say(
    `PGPASSWORD='${db.app.password}' psql "host=${db.host} port=${db.port} user=app dbname=shop sslmode=verify-full sslrootcert=${db.caCertificateFile}"   # direct, as a DBA`,
  );
  say(`CREWGATE_STORE_URL='${storeUrl}' npx tsx operator/cli/crewgate.ts sessions`);

  if (process.env.CREWGATE_DEMO_EXIT !== '1') {
    console.log('\nRunning until Ctrl-C.');
    await new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    });
  }
} finally {
  console.log('\nStopping everything and removing its files...');
  for (const c of children) c.kill('SIGTERM');
  await stopOperator?.();
  await harness.stop();
}
process.exit(0);
