// The CrewAI example's tools (examples/crewai/crew/tools.py), run as the crew runs them — Python,
// psycopg and kubectl unchanged, configured only by the environment the injector sets — and
// called directly through their CLI, without an LLM:
// - the psycopg tools against the standalone sidecar process in front of the harness's `shop`
//   database, under the fixture policies: masked card numbers and e-mails, a drop denied by name;
// - the kubectl tool through the same sidecar's Kubernetes listener (connection `cluster`, in front
//   of the harness's API server with a ServiceAccount token), with the kubeconfig the injector
//   writes: plain http, no token, so the sidecar takes the caller as the pod's service account.
// The Python is the venv `make deps` creates (Debian's python3 with python3-psycopg, plus crewai).
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { renderKubeconfig } from '../../operator/injection/kubeconfig.js';
import { oidcToken } from '../harness/oidc-token.js';
import { repositoryRoot } from '../harness/paths.js';
import { kubectl, runCommand } from '../harness/run.js';
import { createProxyAccount } from './support/kubernetes-proxy.js';
import {
  startSidecarProcess,
  writeShopSidecarConfig,
  type SidecarProcess,
} from './support/sidecar-process.js';

const harness = inject('harness');
const exampleDir = join(repositoryRoot, 'examples/crewai');
const python = join(exampleDir, 'crew/.venv/bin/python');
const dir = mkdtempSync(join(tmpdir(), 'crewai-tools-'));
const namespace = 'crewai-tools-test';
let sidecar: SidecarProcess;
let analystToken: string;
/** The kubeconfig the injector writes for the sidecar's `cluster` listener. */
let injectedKubeconfig: string;

/** The agent container's environment as the injector writes it (operator/injection/app-env.ts). */
const agentEnv = (extra: Record<string, string>): NodeJS.ProcessEnv => ({
  PATH: `${dirname(harness.controlPlane.kubectl)}:/usr/bin:/bin`,
  HOME: dir,
  LANG: 'C.UTF-8',
  ...extra,
});

interface ToolRun {
  code: number | null;
  output: {
    rows?: Record<string, unknown>[];
    pods?: Record<string, unknown>[];
    error?: Record<string, unknown>;
  };
  stderr: string;
}

async function tool(args: string[], env: NodeJS.ProcessEnv): Promise<ToolRun> {
  const run = await runCommand(python, ['-m', 'crew.tools', ...args], { env, timeoutMs: 60_000 });
  let output: ToolRun['output'];
  try {
    output = JSON.parse(run.stdout) as ToolRun['output'];
  } catch {
    throw new Error(`the tool printed no JSON (exit ${run.code}):\n${run.stdout}\n${run.stderr}`);
  }
  return { code: run.code, output, stderr: run.stderr };
}

const viaSidecar = (extra: Record<string, string> = {}) =>
  agentEnv({
    PYTHONPATH: exampleDir,
    PGHOST: '127.0.0.1',
    PGPORT: String(sidecar.port),
    DATABASE_URL: `postgresql://127.0.0.1:${sidecar.port}/shop`,
    CREWGATE_TOKEN: analystToken,
    ...extra,
  });

beforeAll(async () => {
  if (!existsSync(python))
    throw new Error(`${python} is missing: \`make deps\` creates the CrewAI example's venv`);
  // The Connection's credential: a ServiceAccount that may do anything in `namespace`, nothing else.
  const account = await createProxyAccount(harness, namespace);
  writeFileSync(join(dir, 'cluster.token'), account.token, { mode: 0o600 });
  sidecar = await startSidecarProcess(
    writeShopSidecarConfig(harness, dir, {
      recording: { file: join(dir, 'sessions.jsonl') },
      // The pod's identity, as an in-pod sidecar gets it from the control plane.
      workload: {
        subject: 'system:serviceaccount:agents:research-crew',
        groups: ['system:serviceaccounts', 'system:serviceaccounts:agents'],
        serviceAccount: 'agents/research-crew',
      },
      policyFiles: [join(repositoryRoot, 'test/integration/fixtures/crewai-kube-policies.yaml')],
      connections: [
        {
          name: 'cluster',
          type: 'kubernetes',
          listen: { host: '127.0.0.1', port: 0 },
          target: { address: harness.controlPlane.server, tls: { mode: 'verify-full' } },
          caFile: harness.controlPlane.caCertificateFile,
          credentials: { token: { file: join(dir, 'cluster.token') } },
        },
      ],
    }),
  );
  analystToken = await oidcToken(harness.oidc, 'agent-analyst');
  injectedKubeconfig = join(dir, 'kubeconfig');
  writeFileSync(
    injectedKubeconfig,
    renderKubeconfig([
      {
        name: 'cluster',
        type: 'kubernetes',
        address: '127.0.0.1',
        port: 443,
        listenPort: sidecar.listeners.cluster!,
      },
    ])!,
  );
}, 60_000);

afterAll(async () => {
  sidecar?.child.kill('SIGTERM');
  await kubectl(harness, ['delete', 'namespace', namespace, '--ignore-not-found', '--wait=false']);
  rmSync(dir, { recursive: true, force: true });
});

describe('the crew’s psycopg tools through the sidecar', () => {
  it('query_orders returns orders whose card numbers and e-mails arrive masked', async () => {
    const run = await tool(['query-orders', '--status', 'open'], viaSidecar());
    expect(run.code, run.stderr).toBe(0);
    const rows = run.output.rows!;
    expect(rows.map((r) => r.full_name)).toEqual(['Ada Lovelace', 'Grace Hopper', 'Edsger Dijkstra']);
    expect(rows.map((r) => r.status)).toEqual(['open', 'open', 'open']);
    expect(rows[0]).toMatchObject({ amount: '120.50', card_number: '**** **** **** 1111' });
    expect(rows[1]!.card_number).toBe('****-****-****-4444');
    expect(JSON.stringify(rows)).not.toMatch(/(ada|grace|edsger)@example\.com/);
    expect(JSON.stringify(rows)).not.toContain('4111 1111 1111 1111');
  });

  it('run_sql surfaces the policy’s denial, naming the rule, as the tool’s output', async () => {
    const run = await tool(['run-sql', 'DROP TABLE orders'], viaSidecar());
    expect(run.code).toBe(1);
    expect(run.output.error).toMatchObject({ kind: 'postgres', sqlstate: '42501' });
    expect(String(run.output.error!.message)).toMatch(/crewgate: Denied by rule "no-drops"/);
  });

  it('run_sql reports a write that needs a reviewer as refused when no approval service is configured', async () => {
    // The standalone sidecar has no control plane to send the request to: it fails closed.
    const run = await tool(['run-sql', "UPDATE orders SET status = 'shipped' WHERE id = 1"], viaSidecar());
    expect(run.code).toBe(1);
    expect(run.output.error).toMatchObject({ kind: 'postgres', sqlstate: '42501' });
    expect(String(run.output.error!.message)).toMatch(/writes-need-a-dba/);
    expect(String(run.output.error!.message)).toMatch(/no approval service configured/);
  });

  it('run_sql reads what the policy allows, through libpq’s PGHOST/PGPORT when there is no DATABASE_URL', async () => {
    const env = viaSidecar({ PGDATABASE: 'shop' });
    delete env.DATABASE_URL;
    const run = await tool(['run-sql', 'SELECT count(*) AS orders FROM orders'], env);
    expect(run.code, run.stderr).toBe(0);
    expect(run.output.rows).toEqual([{ orders: 6 }]);
  });

  it('a session without a valid token is refused by the sidecar, and the tool says so', async () => {
    const run = await tool(['query-orders'], viaSidecar({ CREWGATE_TOKEN: 'not-a-token' }));
    expect(run.code).toBe(1);
    expect(run.output.error).toMatchObject({ kind: 'postgres' });
    expect(String(run.output.error!.message)).toMatch(/crewgate: token refused/);
  });
});

describe('the crew’s kubectl tool through the sidecar, with the injected kubeconfig', () => {
  beforeAll(async () => {
    const created = await kubectl(harness, ['apply', '-f', '-'], {
      input: `apiVersion: v1
kind: ServiceAccount
metadata: { name: research-crew, namespace: ${namespace} }
---
apiVersion: v1
kind: Pod
metadata: { name: research-crew-0, namespace: ${namespace} }
spec:
  serviceAccountName: research-crew
  automountServiceAccountToken: false
  containers:
    - { name: agent, image: python:3.12-slim }
    - { name: notebook, image: python:3.12-slim }
`,
    });
    expect(created.code, created.stderr).toBe(0);
  });

  const viaKubeSidecar = () => agentEnv({ PYTHONPATH: exampleDir, KUBECONFIG: injectedKubeconfig });

  it('list_pods runs kubectl get pods -o json through crewgate and summarises each pod', async () => {
    const run = await tool(['list-pods', '--namespace', namespace], viaKubeSidecar());
    expect(run.code, run.stderr).toBe(0);
    // There is no kubelet or scheduler: the pod stays Pending on no node.
    expect(run.output.pods).toEqual([
      {
        namespace,
        name: 'research-crew-0',
        phase: 'Pending',
        node: null,
        containers: ['agent', 'notebook'],
        ready: '0/2',
      },
    ]);
  });

  it('list_pods returns the policy’s Forbidden, naming the rule, when crewgate denies the list', async () => {
    const run = await tool(['list-pods', '--namespace', 'kube-system'], viaKubeSidecar());
    expect(run.code).toBe(1);
    expect(run.output.error).toMatchObject({ kind: 'kubectl', exitCode: 1 });
    expect(String(run.output.error!.message)).toMatch(
      /Error from server \(Forbidden\): crewgate: Denied by rule "not-kube-system" of AccessPolicy agents\/crew-kubectl/,
    );
  });

  it('list_pods returns the API server’s own refusal when crewgate allows but the Connection’s RBAC does not', async () => {
    const run = await tool(['list-pods', '--namespace', 'default'], viaKubeSidecar());
    expect(run.code).toBe(1);
    expect(run.output.error).toMatchObject({ kind: 'kubectl', exitCode: 1 });
    expect(String(run.output.error!.message)).toMatch(
      new RegExp(
        `pods is forbidden: User "system:serviceaccount:${namespace}:crewgate-proxy" cannot list resource "pods" in API group "" in the namespace "default"`,
      ),
    );
  });
});

describe('the crew itself (crewai from PyPI, no LLM)', () => {
  it('builds with the three tools on its two agents', async () => {
    const run = await runCommand(python, ['-m', 'crew', '--dry-run'], {
      env: agentEnv({ PYTHONPATH: exampleDir }),
      timeoutMs: 60_000,
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe(
      'Order analyst: query_orders, run_sql\nSite reliability engineer: list_pods\n2 tasks, process sequential\n',
    );
  }, 60_000);
});
