// The CrewAI example's tools (examples/crewai/crew/tools.py), run as the crew runs them — Python,
// psycopg and kubectl unchanged, configured only by the environment the injector sets — and
// called directly through their CLI, without an LLM:
// - the psycopg tools against the standalone sidecar process in front of the harness's `shop`
//   database, under the fixture policies: masked card numbers and e-mails, a drop denied by name;
// - the kubectl tool against the harness's API server DIRECTLY (the Kubernetes proxy is not on
//   main yet): it proves the tool's kubectl invocation and parsing, not crewgate's Kubernetes path.
// The Python is the venv `make deps` creates (Debian's python3 with python3-psycopg, plus crewai).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { writeUserKubeconfig } from '../harness/kubeconfig.js';
import { oidcToken } from '../harness/oidc-token.js';
import { repositoryRoot } from '../harness/paths.js';
import { kubectl, runCommand } from '../harness/run.js';
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
  sidecar = await startSidecarProcess(
    writeShopSidecarConfig(harness, dir, { recording: { file: join(dir, 'sessions.jsonl') } }),
  );
  analystToken = await oidcToken(harness.oidc, 'agent-analyst');
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

describe('the crew’s kubectl tool, against the harness API server directly (not yet via the sidecar)', () => {
  beforeAll(async () => {
    const created = await kubectl(harness, ['apply', '-f', '-'], {
      input: `apiVersion: v1
kind: Namespace
metadata: { name: ${namespace} }
---
apiVersion: v1
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

  it('list_pods runs kubectl get pods -o json with the KUBECONFIG given and summarises each pod', async () => {
    const run = await tool(
      ['list-pods', '--namespace', namespace],
      agentEnv({ PYTHONPATH: exampleDir, KUBECONFIG: harness.controlPlane.adminKubeconfig }),
    );
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

  it('list_pods returns the API server’s refusal when the identity may not list pods', async () => {
    const kubeconfig = await writeUserKubeconfig(harness.controlPlane, 'crew-without-rbac', [], dir);
    const run = await tool(
      ['list-pods', '--namespace', namespace],
      agentEnv({ PYTHONPATH: exampleDir, KUBECONFIG: kubeconfig }),
    );
    expect(run.code).toBe(1);
    expect(run.output.error).toMatchObject({ kind: 'kubectl', exitCode: 1 });
    expect(String(run.output.error!.message)).toMatch(
      /pods is forbidden: User "crew-without-rbac" cannot list resource "pods"/,
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
