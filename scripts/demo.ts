/**
 * `make demo`: the mission on a local control plane, for real. Starts kube-apiserver + etcd,
 * PostgreSQL, sshd and an OpenID Provider (test/harness), the operator (its webhooks called by the
 * real API server; it provisions the recording store and is the sidecars' control plane), applies
 * examples/crewai, creates the crew's pod (the webhook injects it), starts that pod's injected
 * sidecar container as a process (there is no kubelet), runs a scripted agent session through it
 * (PostgreSQL; kubectl into a pod that kwok, standing in for the kubelet, runs; ssh to the local
 * sshd), then replays and verifies the recording. Keeps everything running until Ctrl-C
 * (CREWGATE_DEMO_EXIT=1 stops at the end, for tests).
 *
 * One function per step, so a step can be added without reading the others.
 */
// First: silences the local IdP's start-up warnings before the harness imports it.
import './demo-quiet-idp.js';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { parse, stringify } from 'yaml';
import { main as crewgate } from '../operator/cli/crewgate.js';
import { operatorConfigFrom } from '../operator/config.js';
import {
  CLIENT_CONFIG_DIR,
  KNOWN_HOSTS_FILE,
  KUBECONFIG_FILE,
  SIDECAR_CONFIG_ANNOTATION,
  SIDECAR_CONTAINER,
  SSH_CONFIG_ENV,
  SSH_CONFIG_FILE,
} from '../operator/injection/constants.js';
import { kubeClients } from '../operator/kube/client.js';
import { startOperator, type RunningOperator } from '../operator/operator.js';
import { createReaderRole } from '../operator/recording-store/index.js';
import { createLogger } from '../sidecar/logging.js';
import { startHarness } from '../test/harness/index.js';
import { startKwok, type Kwok } from '../test/harness/kwok.js';
import { localWebhookConfigurations } from '../test/harness/local-webhooks.js';
import { writeUserKubeconfig } from '../test/harness/kubeconfig.js';
import { oidcToken } from '../test/harness/oidc-token.js';
import { repositoryRoot } from '../test/harness/paths.js';
import { freePort } from '../test/harness/ports.js';
import { runCommand } from '../test/harness/run.js';
import { inPodOperatorSettings } from '../test/integration/support/in-pod-operator.js';
import { startInPodSidecar, type InPodSidecar } from '../test/integration/support/in-pod-sidecar.js';
import { askpassProgram } from '../test/integration/support/ssh-proxy.js';

const bold = (s: string) => `\x1b[1m${s}\x1b[0m`;
const indent = (text: string, by = '   ') => text.trim().split('\n').join(`\n${by}`);
const say = (text: string) => console.log(`   ${text}`);
let stepNumber = 0;
const step = (text: string) => console.log(`\n${bold(`== ${++stepNumber}. ${text}`)}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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
const NAMESPACE = 'agents';
const POD = 'research-crew-0';
/** Where the pods the crew looks after live (examples/crewai/cluster.yaml). */
const WORKLOADS = 'storefront';
const KWOK_ID = 'demo';
const OPERATOR_NAMESPACE = 'crewgate-system';
const READER = { name: 'crewgate_reader', password: 'reader-demo-password' };

const harness = await startHarness({ keep: process.env.CREWGATE_KEEP_HARNESS === '1' });
const { controlPlane: cp, postgres: db, sshd, oidc, startupMs, dir } = harness.info;
const examples = join(repositoryRoot, 'examples/crewai');
const kubectl = async (args: string[], input?: string, kubeconfig = cp.adminKubeconfig) => {
  const r = await runCommand(cp.kubectl, ['--kubeconfig', kubeconfig, ...args], { input });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
let operator: RunningOperator | undefined;
let sidecar: InPodSidecar | undefined;
let kwok: Kwok | undefined;

/** `text` with `from` replaced; a placeholder that is not there stops the demo rather than apply it. */
function rewrite(text: string, from: string | RegExp, to: string): string {
  if (!(typeof from === 'string' ? text.includes(from) : from.test(text)))
    throw new Error(`examples/crewai changed: ${String(from)} not found`);
  return text.replace(from, () => to);
}

function harnessIsUp(): void {
  step(
    `Local control plane, PostgreSQL, sshd and an OpenID Provider are up (${(startupMs.total! / 1000).toFixed(1)} s)`,
  );
  say(
    `kube-apiserver ${cp.version} at ${cp.server}; PostgreSQL at ${db.host}:${db.port} (TLS, SCRAM); IdP ${oidc.issuer} (oidc-provider, standing in for yours)`,
  );
}

/** The operator, with the settings a Helm install gives it: issuers to trust and a recording store to own. */
async function startTheOperator(): Promise<{ sidecarApiPort: number }> {
  step('The operator (outside the cluster here, so the API server calls its webhooks by URL)');
  const webhookPort = await freePort();
  const sidecarApiPort = await freePort();
  const settings = inPodOperatorSettings(oidc, harness.postgres);
  await kubectl(['create', 'namespace', OPERATOR_NAMESPACE]);
  for (const [name, data] of Object.entries(settings.secrets))
    await kubectl([
      'create',
      'secret',
      'generic',
      name,
      '-n',
      OPERATOR_NAMESPACE,
      ...Object.entries(data).map(([k, v]) => `--from-literal=${k}=${v}`),
    ]);
  await kubectl(['apply', '-f', '-'], localWebhookConfigurations('crewgate-operator', webhookPort));
  operator = await startOperator(
    operatorConfigFrom([], {
      CREWGATE_NAMESPACE: OPERATOR_NAMESPACE,
      CREWGATE_IDENTITY: 'demo-operator',
      CREWGATE_BIND_ADDRESS: '127.0.0.1',
      CREWGATE_WEBHOOK_PORT: String(webhookPort),
      CREWGATE_SIDECAR_API_PORT: String(sidecarApiPort),
      CREWGATE_METRICS_PORT: '0',
      CREWGATE_EXTRA_IP_ADDRESSES: '127.0.0.1',
      CREWGATE_CONTROL_PLANE_URL: `https://127.0.0.1:${sidecarApiPort}`,
      // Run with the admin's kubeconfig here; in a cluster it is its own service account.
      CREWGATE_OPERATOR_USERNAME: 'crewgate-admin',
      ...settings.env,
    }),
    kubeClients(cp.adminKubeconfig),
    createLogger('crewgate-operator', { level: 'error' }),
  );
  say(
    `webhooks on 127.0.0.1:${webhookPort}, the sidecars' control plane on 127.0.0.1:${sidecarApiPort}; caBundle written by the operator`,
  );
  say(`trusts the IdP ${oidc.issuer} for agents' tokens (CREWGATE_OIDC_ISSUERS)`);
  await operator.recordingStore.firstRun;
  say(
    `provisioned the recording store from Secret ${OPERATOR_NAMESPACE}/${Object.keys(settings.secrets)[0]}: database crewgate_audit, role ${settings.sidecarLogin.user} (INSERT only)`,
  );
  // The operator makes only the sidecars' login; auditors get a read-only one from the DBA.
  const store = new pg.Client({
    host: db.host,
    port: db.port,
    user: db.superuser.user,
    password: db.superuser.password,
    database: 'crewgate_audit',
  });
  await store.connect();
  await createReaderRole(store, READER);
  await store.end();
  say(
    `the auditors' read-only login ${READER.name} (for crewgate replay) is made by hand: the operator makes only the sidecars'`,
  );
  return { sidecarApiPort };
}

async function applyTheExamples(): Promise<void> {
  step(
    'A platform engineer applies examples/crewai (namespace, Connections shop-db, cluster and bastion, policies, masking rule)',
  );
  // The local PostgreSQL's certificate comes from the harness's own CA: give the Connection that CA.
  const connection = readFileSync(join(examples, 'connection.yaml'), 'utf8')
    .replace('address: 127.0.0.1:5432', `address: ${db.host}:${db.port}`)
    .replace('password: replace-me', `password: ${db.app.password}`)
    .replace(
      'tls: { mode: verify-full }',
      'tls: { mode: verify-full, caRef: { name: shop-db-ca, key: ca.crt } }',
    );
  const caSecret = stringify({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'shop-db-ca', namespace: NAMESPACE },
    stringData: { 'ca.crt': readFileSync(db.caCertificateFile, 'utf8') },
  });
  // The local API server and sshd stand in for the in-cluster API server and the bastion.
  const cluster = rewrite(
    readFileSync(join(examples, 'cluster.yaml'), 'utf8'),
    'address: https://kubernetes.default.svc',
    `address: ${cp.server}`,
  );
  const privateKey = readFileSync(sshd.clientKeyFile, 'utf8').trim().split('\n');
  let bastion = readFileSync(join(examples, 'bastion.yaml'), 'utf8');
  bastion = rewrite(
    bastion,
    /privateKey: \|\n.*\n/,
    `privateKey: |\n${privateKey.map((l) => `    ${l}`).join('\n')}\n`,
  );
  bastion = rewrite(bastion, 'address: bastion.internal.example:22', `address: ${sshd.host}:${sshd.port}`);
  bastion = rewrite(
    bastion,
    "ssh: { user: crew, hostKey: 'ssh-ed25519 replace-me' }",
    `ssh: { user: ${sshd.user}, hostKey: '${sshd.hostPublicKey}' }`,
  );
  const applied = await kubectl(
    ['apply', '-f', '-'],
    [
      readFileSync(join(examples, 'namespace.yaml'), 'utf8'),
      caSecret,
      connection,
      cluster,
      bastion,
      readFileSync(join(examples, 'policies.yaml'), 'utf8'),
    ].join('\n---\n'),
  );
  say(
    indent(
      applied.replace(
        'secret/shop-db-ca created',
        'secret/shop-db-ca created   (the local PostgreSQL’s CA, named by the Connection’s tls.caRef)',
      ),
    ),
  );
  // A cluster's token controller fills a service-account-token Secret; this control plane runs none.
  const token = (
    await kubectl(['create', 'token', 'crewgate-cluster', '-n', NAMESPACE, '--duration=24h'])
  ).trim();
  await kubectl(
    ['apply', '-f', '-'],
    stringify({
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/service-account-token',
      metadata: {
        name: 'cluster-credentials',
        namespace: NAMESPACE,
        annotations: { 'kubernetes.io/service-account.name': 'crewgate-cluster' },
      },
      stringData: { token, 'ca.crt': readFileSync(cp.caCertificateFile, 'utf8') },
    }),
  );
  say(
    `here Connection cluster is this API server (${cp.server}) and bastion the local sshd (its host key pinned)`,
  );
  say(
    'secret/cluster-credentials filled by hand with a TokenRequest token and the API server’s CA (the token controller’s job; none runs here)',
  );
  const refused = await runCommand(cp.kubectl, ['--kubeconfig', cp.adminKubeconfig, 'apply', '-f', '-'], {
    input: readFileSync(join(examples, 'policies.yaml'), 'utf8')
      .replace('timeout: 10m, scope: Once', 'scope: Window, duration: 12h')
      .replace('name: viewers', 'name: viewers-too-long'),
  });
  say(
    `a policy with a 12h approval window is refused at apply time: ${refused.stderr.trim().split('\n')[0]}`,
  );
}

interface Container {
  name: string;
  args?: string[];
  restartPolicy?: string;
  env?: { name: string; value?: string }[];
  volumeMounts?: { mountPath: string }[];
}

async function createTheCrewPod(): Promise<void> {
  step('The crew’s pod is created; the operator’s webhook injects the sidecar');
  say(indent(await kubectl(['apply', '-f', join(examples, 'crew-pod.yaml')])));
  const pod = JSON.parse(await kubectl(['get', 'pod', POD, '-n', NAMESPACE, '-o', 'json'])) as {
    metadata: { annotations: Record<string, string> };
    spec: { initContainers: Container[]; containers: Container[]; automountServiceAccountToken?: boolean };
  };
  const agent = pod.spec.containers.find((c) => c.name === 'agent')!;
  const injected = pod.spec.initContainers.find((c) => c.name === SIDECAR_CONTAINER)!;
  say(
    `initContainers: ${pod.spec.initContainers.map((c) => `${c.name} (restartPolicy ${c.restartPolicy})`).join(', ')}`,
  );
  say(`${SIDECAR_CONTAINER} args: ${(injected.args ?? []).join(' ')}`);
  const config = parse(pod.metadata.annotations[SIDECAR_CONFIG_ANNOTATION] ?? '') as {
    connections: { name: string; type: string; listen: { host: string; port: number } }[];
    controlPlane: { url: string };
  };
  say(
    `its config (annotation ${SIDECAR_CONFIG_ANNOTATION}): ${config.connections.map((c) => `${c.name} (${c.type}) on ${c.listen.host}:${c.listen.port}`).join(', ')}; control plane ${config.controlPlane.url}; no address, no secret`,
  );
  say(`agent env: ${(agent.env ?? []).map((e) => `${e.name}=${e.value}`).join(' ')}`);
  say(
    `agent token mounts: ${(agent.volumeMounts ?? []).filter((m) => m.mountPath.includes('serviceaccount')).length} (automountServiceAccountToken: ${pod.spec.automountServiceAccountToken})`,
  );
}

async function startTheInjectedSidecar(): Promise<void> {
  step('The pod’s sidecar starts and fetches everything else from the operator');
  say('There is no kubelet in this control plane, so the demo starts the injected sidecar container itself:');
  say(
    `its args, its config annotation as the file the downwardAPI volume holds, and a TokenRequest token bound to pod ${POD}`,
  );
  say('(audience crewgate) where the projected volume puts it. The process is sidecar/main.ts.');
  const root = join(dir, `pod-${POD}`);
  mkdirSync(root);
  // info: the demo reads the sidecar's "policy bundle updated" lines (their time) in the policy-edit step.
  sidecar = await startInPodSidecar(harness.info, NAMESPACE, POD, {
    keepPorts: true,
    root,
    env: { CREWGATE_LOG_LEVEL: 'info' },
  });
  await sidecar.untilReady();
  const p = sidecar.ports;
  say(
    `ready: shop-db on 127.0.0.1:${p['shop-db']} (PostgreSQL), cluster on 127.0.0.1:${p.cluster} (Kubernetes API), bastion on 127.0.0.1:${p.bastion} (SSH), /metrics and /readyz on :${sidecar.metricsPort}`,
  );
  say('With that token it takes from the operator: the issuers to trust and the recording store’s login');
  say('(at start), the policies and the Connections’ addresses (a watched bundle), the credentials and CA');
  say('(per session, in memory only) and the approvals. The pod’s config holds none of them.');
}

/**
 * kwok as the kubelet of one fake Node, and the pod the agent execs into on it. Runs while the
 * operator and the sidecar start; its pod waits for the namespace from examples/crewai.
 */
function startKwokForTheTarget(namespaceApplied: Promise<void>): Promise<void> {
  const ready = (async () => {
    kwok = await startKwok(harness.info, KWOK_ID);
    await namespaceApplied;
    await kubectl(
      ['apply', '-f', '-'],
      `# The harness runs no controller-manager to create a namespace's default ServiceAccount.
apiVersion: v1
kind: ServiceAccount
metadata: { name: default, namespace: ${WORKLOADS} }
---
apiVersion: v1
kind: Pod
metadata: { name: target, namespace: ${WORKLOADS} }
spec:
  nodeName: ${kwok.nodeName}
  containers: [{ name: app, image: busybox }]
`,
    );
    await kubectl(['wait', '-n', WORKLOADS, '--for=condition=Ready', 'pod/target', '--timeout=60s']);
  })();
  ready.catch(() => undefined);
  return ready;
}

/** The agent's PostgreSQL session, shared by the steps that follow. */
interface AgentSession {
  client: pg.Client;
  shown(title: string, sql: string): Promise<void>;
}

async function connectTheAgent(): Promise<AgentSession> {
  const token = await oidcToken(oidc, 'agent-analyst');
  const client = new pg.Client({
    host: '127.0.0.1',
    port: sidecar!.ports['shop-db'],
    user: 'agent',
    database: 'shop',
    password: token,
  });
  await client.connect();
  client.on('notice', (notice) => say(`  … NOTICE: ${notice.message}`));
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
  return { client, shown };
}

async function theAgentsSession(session: AgentSession, reviewer: string): Promise<void> {
  step('The agent’s session: its usual PostgreSQL client, its OIDC token as the password');
  await session.shown(
    'Allowed, masked (card numbers keep their last 4, e-mails are masked):',
    'SELECT full_name, email, card_number FROM customers ORDER BY id LIMIT 3',
  );
  await session.shown('Denied by rule no-drops:', 'DROP TABLE customers');
  await heldAndReviewed(
    session,
    reviewer,
    'Held until a DBA approves with kubectl patch:',
    "UPDATE orders SET status = 'refunded' WHERE id = 1",
    'Approve',
    'refund agreed',
  );
  await heldAndReviewed(
    session,
    reviewer,
    'A write hidden in a read is still a write, held too; this time the DBA denies it:',
    'WITH d AS (DELETE FROM orders RETURNING *) SELECT count(*) FROM d',
    'Deny',
    'no bulk deletes',
  );
}

/** Runs a statement that will be held, then reviews its ApprovalRequest as rita (group dba). */
async function heldAndReviewed(
  { client }: AgentSession,
  reviewer: string,
  title: string,
  sql: string,
  decision: 'Approve' | 'Deny',
  comment: string,
): Promise<void> {
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
        NAMESPACE,
        '-o',
        'jsonpath={range .items[?(@.status.phase=="Pending")]}{.metadata.name}{end}',
      ])
    ).trim();
    if (!pending) await sleep(100);
  }
  say(`  $ kubectl get approvalrequests -n ${NAMESPACE}`);
  say(`    ${indent(await kubectl(['get', 'approvalrequests', '-n', NAMESPACE]), '       ')}`);
  const patch = JSON.stringify([{ op: 'add', path: '/spec/reviews/-', value: { decision, comment } }]);
  say(
    `  $ kubectl patch approvalrequest ${pending} -n ${NAMESPACE} --type=json -p '${patch}'    # as rita, group dba`,
  );
  const patched = await runCommand(cp.kubectl, [
    '--kubeconfig',
    reviewer,
    'patch',
    'approvalrequest',
    pending,
    '-n',
    NAMESPACE,
    '--type=json',
    '-p',
    patch,
  ]);
  say(`    ${patched.stdout.trim() || patched.stderr.trim()}`);
  say(await held);
  say(
    `  reviewer stamped by the API server: ${await kubectl(['get', 'approvalrequest', pending, '-n', NAMESPACE, '-o', 'jsonpath={.spec.reviews[0].reviewer} ({.status.phase})'])}`,
  );
}

/** The time (ms since the epoch) of each "policy bundle updated" line the sidecar logged. */
function bundleUpdates(): number[] {
  return sidecar!
    .output()
    .split('\n')
    .filter((l) => l.includes('"policy bundle updated"'))
    .map((l) => (JSON.parse(l) as { time: number }).time);
}

/**
 * Patches AccessPolicy viewers as the platform engineer (printing the command) and waits for the
 * sidecar to log a policy bundle received after it; returns how many ms that took.
 */
async function patchViewers(patch: unknown[], quiet = false): Promise<number | undefined> {
  const text = JSON.stringify(patch);
  if (!quiet) say(`  $ kubectl patch accesspolicy viewers -n ${NAMESPACE} --type=json -p '${text}'`);
  const seen = bundleUpdates().length;
  const editedAt = Date.now();
  const out = await kubectl(['patch', 'accesspolicy', 'viewers', '-n', NAMESPACE, '--type=json', '-p', text]);
  if (!quiet) say(`    ${indent(out)}`);
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; await sleep(5)) {
    const update = bundleUpdates()
      .slice(seen)
      .find((t) => t >= editedAt);
    if (update !== undefined) return update - editedAt;
  }
  say('  ✗ the sidecar received no new policy bundle within 10 s');
  return undefined;
}

/** An AccessPolicy edit reaches the running sidecar: the same statement, a different decision. */
async function aPolicyEditReachesTheSidecar(session: AgentSession): Promise<void> {
  step('A policy edit reaches the running sidecar, no restart');
  const sql = 'SELECT count(*) AS customers FROM customers';
  await session.shown('Before: viewers may read customers:', sql);
  say(bold('The platform engineer puts a rule first in AccessPolicy viewers:'));
  const pid = sidecar!.child.pid;
  const took = await patchViewers([
    {
      op: 'add',
      path: '/spec/rules/0',
      value: {
        name: 'no-customer-lists',
        match: { operations: ['select'], resources: ['customers'] },
        action: 'Deny',
      },
    },
  ]);
  if (took !== undefined)
    say(
      `  the sidecar had the new policy bundle ${took} ms after kubectl patch was issued (same process, pid ${pid}${sidecar!.child.pid === pid && sidecar!.child.exitCode === null ? ', still running' : ' GONE'})`,
    );
  await session.shown('After: the same statement, in the same session:', sql);
  await patchViewers([{ op: 'remove', path: '/spec/rules/0' }], true);
  say('  (and the rule removed again the same way, so that customers can be read by hand below)');
}

/** A Window approval: one review lets the same rule through for the same agent for a while. */
async function aWindowGrant(session: AgentSession, reviewer: string): Promise<void> {
  step('An approval window: one review, then the same kind of write runs at once for 5 minutes');
  say(bold('The platform engineer switches rule writes-need-a-dba to scope Window:'));
  await patchViewers([
    {
      op: 'replace',
      path: '/spec/rules/2/approval',
      value: { approverGroups: ['dba'], minApprovals: 1, timeout: '10m', scope: 'Window', duration: '5m' },
    },
  ]);
  await heldAndReviewed(
    session,
    reviewer,
    'The next write is held once more:',
    "UPDATE orders SET status = 'refunded' WHERE id = 2",
    'Approve',
    'refunds for the next 5 minutes',
  );
  const before = await approvalRequestCount();
  await session.shown(
    'Within the window, no new request:',
    "UPDATE orders SET status = 'refunded' WHERE id = 3",
  );
  say(`  ApprovalRequests in ${NAMESPACE}: ${before} before, ${await approvalRequestCount()} after`);
}

async function approvalRequestCount(): Promise<number> {
  const out = await kubectl(['get', 'approvalrequests', '-n', NAMESPACE, '-o', 'name']);
  return out.trim().split('\n').filter(Boolean).length;
}

/** The kubeconfig the sidecar wrote at start for the agent container (KUBECONFIG), in the pod's root. */
const agentKubeconfig = () => join(sidecar!.root, CLIENT_CONFIG_DIR, KUBECONFIG_FILE);

/** Runs `program args` as the agent would and shows the command, its output and its refusal. */
async function shownCommand(
  shown: string,
  program: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<void> {
  say(`  $ ${shown}`);
  const r = await runCommand(program, args, { env, timeoutMs: 30_000 });
  const lines = r.stdout.trim().split('\n').filter(Boolean);
  // One name per line (ls without a terminal) reads better on one line.
  const out = lines.length > 6 && lines.every((l) => !l.includes(' ')) ? [lines.join('  ')] : lines;
  for (const line of out) say(`  → ${line}`);
  for (const line of r.stderr.trim().split('\n').filter(Boolean)) say(`  ✗ ${line}`);
  if (r.code !== 0) say(`  (exit status ${r.code})`);
}

/** `kubectl exec` through the sidecar's Kubernetes listener, into a pod kwok runs. */
async function aKubectlExec(targetReady: Promise<void>): Promise<void> {
  step('kubectl through the sidecar: get, an exec allowed, an exec denied');
  await targetReady;
  say(
    `kwok stands in for the kubelet: node ${kwok!.nodeName} runs pod ${WORKLOADS}/target, whose exec'd commands run as`,
  );
  say('local processes on this machine (so `ls /` below lists this machine’s /).');
  const kubeconfig = agentKubeconfig();
  const server = /server: (\S+)/.exec(readFileSync(kubeconfig, 'utf8'))?.[1];
  say(
    `The agent’s kubectl reads the kubeconfig the sidecar wrote at start (KUBECONFIG=${CLIENT_CONFIG_DIR}/${KUBECONFIG_FILE}): ${server},`,
  );
  say('the sidecar over TLS, trusting only the CA of the loopback certificate it made, with no token in it.');
  say('With no token the caller is the pod’s workload identity, system:serviceaccount:agents:research-crew,');
  say('which AccessPolicy cluster-viewers names (`kubectl --token` with an OIDC token would make the agent');
  say('the caller). The sidecar calls the API server as crewgate-cluster; the agent never holds that token.');
  const env = { ...process.env, KUBECONFIG: kubeconfig, PATH: `${dirname(cp.kubectl)}:${process.env.PATH}` };
  say(bold('Allowed by rule reads:'));
  await shownCommand(`kubectl get pods -n ${WORKLOADS}`, cp.kubectl, ['get', 'pods', '-n', WORKLOADS], env);
  say(bold('Allowed by rule read-only-exec:'));
  await shownCommand(
    `kubectl exec -n ${WORKLOADS} target -- ls /`,
    cp.kubectl,
    ['exec', '-n', WORKLOADS, 'target', '--', 'ls', '/'],
    env,
  );
  say(bold('Denied by rule no-rm (nothing runs):'));
  await shownCommand(
    `kubectl exec -n ${WORKLOADS} target -- rm -rf /data`,
    cp.kubectl,
    ['exec', '-n', WORKLOADS, 'target', '--', 'rm', '-rf', '/data'],
    env,
  );
}

/** The agent's ssh client setup: the config the sidecar wrote, the token given by SSH_ASKPASS. */
interface SshClient {
  /** The sidecar-written ssh_config, as `$CREWGATE_SSH_CONFIG` names it inside the pod. */
  configFile: string;
  askpass: string;
}

/** `ssh` through the sidecar's SSH listener to the harness sshd, with the ssh_config it wrote. */
async function anSshCommand(): Promise<SshClient> {
  step('ssh through the sidecar: the agent’s OIDC token as the password, both hops’ host keys pinned');
  const configFile = join(sidecar!.root, CLIENT_CONFIG_DIR, SSH_CONFIG_FILE);
  const port = /^\s*Port (\d+)$/m.exec(readFileSync(configFile, 'utf8'))?.[1];
  const askpass = askpassProgram(dir);
  say(
    `The sidecar made its SSH host key at start and wrote ${SSH_CONFIG_ENV}=${CLIENT_CONFIG_DIR}/${SSH_CONFIG_FILE}`,
  );
  say(
    `(Host bastion → 127.0.0.1:${port}, StrictHostKeyChecking yes) and ${KNOWN_HOSTS_FILE} with that key: no trust on first use;`,
  );
  say(
    `the sidecar logs in to ${sshd.host}:${sshd.port} with the Connection’s key, only if the host shows the pinned one.`,
  );
  say('The agent’s token reaches ssh as the password through SSH_ASKPASS.');
  const token = await oidcToken(oidc, 'agent-analyst');
  const env = {
    ...process.env,
    [SSH_CONFIG_ENV]: configFile,
    SSH_ASKPASS: askpass,
    SSH_ASKPASS_REQUIRE: 'force',
    CREWGATE_TOKEN: token,
  };
  const ssh = (command: string) => [
    '-n',
    '-F',
    configFile,
    '-o',
    'NumberOfPasswordPrompts=1',
    '-o',
    'LogLevel=ERROR',
    'bastion',
    command,
  ];
  const shown = (command: string) => `ssh -F "$${SSH_CONFIG_ENV}" bastion ${command}`;
  say(bold('Allowed by rule read-only-commands:'));
  await shownCommand(shown('uptime'), 'ssh', ssh('uptime'), env);
  await shownCommand(shown('df -h /'), 'ssh', ssh('df -h /'), env);
  say(bold('Denied by rule no-destruction (exit status 126, one line on stderr):'));
  await shownCommand(shown("'rm -rf /'"), 'ssh', ssh('rm -rf /'), env);
  return { configFile, askpass };
}

async function theAuditorReplays(): Promise<string> {
  step('The auditor replays and verifies the session from the store');
  const storeUrl = `postgresql://${READER.name}:${READER.password}@${db.host}:${db.port}/crewgate_audit?sslmode=disable`;
  // The CLI's own entry point with the same argv, in this process (a process per call costs ~0.6 s).
  const cli = async (args: string[]) => {
    let stdout = '';
    const out = { line: (t: string) => (stdout += `${t}\n`), raw: (c: Buffer | string) => (stdout += c) };
    const code = await crewgate([...args, '--store', storeUrl], out).catch(
      (error: unknown) => (stdout += `crewgate: ${error instanceof Error ? error.message : String(error)}\n`),
    );
    return { code, stdout };
  };
  // The sidecar ships its spool in the background; wait until the ended session is in the store.
  let session: string | undefined;
  let listed = '';
  for (const deadline = Date.now() + 10_000; !session && Date.now() < deadline;) {
    listed = (await cli(['sessions'])).stdout;
    // SESSION STARTED SUBJECT CONNECTION COMMANDS DENIED ENDED: the PostgreSQL session, once ended.
    session = listed
      .split('\n')
      .slice(1)
      .map((l) => l.split('\t'))
      .find((cells) => cells.length === 7 && cells[3] === 'shop-db' && cells[6] !== 'open')?.[0];
    if (!session) await sleep(100);
  }
  say('$ crewgate sessions');
  say(indent(listed));
  if (!session) {
    say('✗ the session did not reach the store within 10 s');
    return storeUrl;
  }
  say(`$ crewgate replay ${session} --no-wait`);
  say(indent((await cli(['replay', session, '--no-wait'])).stdout));
  say(`$ crewgate verify ${session}`);
  const verify = await cli(['verify', session]);
  say(bold(verify.stdout.trim()));
  return storeUrl;
}

function connectByHand(reviewer: string, storeUrl: string, ssh: SshClient): void {
  step('Connect by hand (in another terminal, while this keeps running)');
  const analyst = oidc.clients.find((c) => c.clientId === 'agent-analyst')!;
  say(bold('the agent’s way in: an OIDC token from the IdP, sent as the password to the sidecar'));
  say(
    `TOKEN=$(curl -s --cacert ${oidc.caCertificateFile} -u ${analyst.clientId}:${analyst.clientSecret} -d grant_type=client_credentials -d resource=${oidc.audience} ${oidc.issuer}/token | node -pe 'JSON.parse(require("fs").readFileSync(0)).access_token')`,
  );
  say(
    `PGPASSWORD="$TOKEN" psql "host=127.0.0.1 port=${sidecar!.ports['shop-db']} user=agent dbname=shop sslmode=disable"`,
  );
  say(bold('the agent’s ssh through the sidecar, with the same token'));
  say(
    `CREWGATE_TOKEN="$TOKEN" SSH_ASKPASS=${ssh.askpass} SSH_ASKPASS_REQUIRE=force ssh -n -F ${ssh.configFile} bastion uptime`,
  );
  say(bold('the cluster, as its admin and as rita (group dba, the reviewer)'));
  say(`export PATH=${dirname(cp.kubectl)}:$PATH KUBECONFIG=${cp.adminKubeconfig}`);
  say('kubectl get connections,accesspolicies,maskingrules,approvalrequests -A');
  say(`kubectl --kubeconfig ${reviewer} get approvalrequests -A`);
  say(
    `kubectl crewgate list -A --kubeconfig ${reviewer}    # the reviewers' plugin, after make install-plugin`,
  );
  say(bold('the cluster as the agent: its injected kubeconfig, through the sidecar'));
  say(`kubectl --kubeconfig ${agentKubeconfig()} exec -n ${WORKLOADS} target -- ls /`);
  say(bold('the recording, as an auditor'));
  say(`export CREWGATE_STORE_URL='${storeUrl}'`);
  say('npx tsx operator/cli/crewgate.ts sessions     # then: replay SESSION, verify SESSION');
  say(bold('the database directly, as its DBA (no crewgate in the way)'));
  say(
    `PGPASSWORD='${db.app.password}' psql "host=${db.host} port=${db.port} user=${db.app.user} dbname=shop sslmode=verify-full sslrootcert=${db.caCertificateFile}"`,
  );
}

try {
  harnessIsUp();
  let examplesApplied!: () => void;
  const targetReady = startKwokForTheTarget(new Promise<void>((resolve) => (examplesApplied = resolve)));
  await startTheOperator();
  await applyTheExamples();
  examplesApplied();
  await createTheCrewPod();
  // rita's kubeconfig and the reviewers' RBAC are shown in step 6; made while the sidecar starts.
  const [reviewer] = await Promise.all([
    writeUserKubeconfig(cp, 'rita', ['dba'], dir).then(async (path) => {
      await kubectl(['apply', '-f', '-'], REVIEWER_RBAC);
      return path;
    }),
    startTheInjectedSidecar(),
  ]);
  const session = await connectTheAgent();
  await theAgentsSession(session, reviewer);
  await aPolicyEditReachesTheSidecar(session);
  await aWindowGrant(session, reviewer);
  await session.shown('The session went on after every denial:', 'SELECT count(*) AS orders FROM orders');
  await session.client.end();
  await aKubectlExec(targetReady);
  const ssh = await anSshCommand();
  const storeUrl = await theAuditorReplays();
  connectByHand(reviewer, storeUrl, ssh);

  if (process.env.CREWGATE_DEMO_EXIT !== '1') {
    console.log('\nRunning until Ctrl-C.');
    await new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    });
  }
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  console.error(`\n✗ the demo stopped: ${message}`);
  if (message.includes('EADDRINUSE'))
    console.error(
      '  Is another `make demo` running? The sidecar keeps the pod’s ports (15432, 16443, 2222, 15090).',
    );
  process.exitCode = 1;
} finally {
  console.log('\nStopping everything and removing its files...');
  await sidecar?.stop();
  await kwok?.stop();
  await operator?.stop();
  await harness.stop();
}
process.exit(process.exitCode ?? 0);
