// Every shell command in README.md is one a test or the demo runs. The commands are read from the
// README's ```sh blocks: each must be listed below with the file that runs it (and a string that
// file contains, so the list cannot go stale), and the ones no other test covers are run here,
// verbatim, against the harness's real API server.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { locateHelm } from '../harness/binaries.js';
import { repositoryRoot } from '../harness/paths.js';
import { kubectl, runCommand } from '../harness/run.js';

const harness = inject('harness');
const here = 'test/integration/readme-commands.test.ts';

/** The README's shell commands: ```sh blocks, `\` continuations joined, trailing comments dropped. */
export function readmeCommands(markdown: string): string[] {
  const blocks = [...markdown.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
  return blocks.flatMap((block) =>
    block
      .replace(/\\\n\s*/g, '')
      .split('\n')
      .map((line) => line.replace(/\s+#\s.*$/, '').trim())
      .filter((line) => line !== '' && !line.startsWith('#')),
  );
}

interface Exercise {
  /** The file that runs the command (repository-relative). */
  by: string;
  /** A string that file contains where it runs the command. */
  needle: string;
  /** Set only for a command no test runs, saying why. */
  notRunByATest?: string;
}

// Keyed by the command as the README prints it.
const exercised: Record<string, Exercise> = {
  // `make demo` is `make deps` then `npx tsx scripts/demo.ts`; the demo test runs that script.
  'make demo': { by: 'test/integration/demo.test.ts', needle: "'scripts/demo.ts'" },
  'make test': { by: 'Makefile', needle: 'npx vitest run --reporter=default' },
  'make bench': {
    by: 'bench/run.ts',
    needle: 'const benches',
    notRunByATest: 'benchmarks are never timed tests; bench/table.test.ts tests the table they print',
  },
  'BENCH_ONLY=policy,postgres make bench': {
    by: 'bench/run.ts',
    needle: 'process.env.BENCH_ONLY',
    notRunByATest: 'as make bench',
  },
  'kubectl apply -f crds/': { by: here, needle: '' },
  'kubectl apply -f examples/crewai/namespace.yaml -f examples/basics/': { by: here, needle: '' },
  'kubectl get approvalrequests -A': { by: here, needle: '' },
  'kubectl patch approvalrequest NAME -n agents --type=json -p \'[{"op":"add","path":"/spec/reviews/-","value":{"decision":"Approve","comment":"ok"}}]\'':
    { by: here, needle: '' },
  'kubectl crewgate list -A': { by: 'test/integration/kubectl-crewgate.test.ts', needle: "'list'" },
  'kubectl crewgate show NAME -n agents': {
    by: 'test/integration/kubectl-crewgate.test.ts',
    needle: "'show', second.name",
  },
  'kubectl crewgate approve NAME -n agents --comment "refund agreed"': {
    by: 'test/integration/kubectl-crewgate.test.ts',
    needle: "'approve', second.name, '--comment', 'refund agreed'",
  },
  'kubectl crewgate deny NAME -n agents --comment "open a ticket first"': {
    by: 'test/integration/kubectl-crewgate.test.ts',
    needle: "'deny', held.name, '--comment', 'open a ticket first'",
  },
  'kubectl crewgate watch -A': { by: 'test/integration/kubectl-crewgate.test.ts', needle: "'watch'" },
  'crewgate sessions --subject agent-analyst --since 1h': {
    by: 'test/integration/recording-proxy.test.ts',
    needle: "crewgate('sessions', '--subject'",
  },
  'crewgate replay SESSION': {
    by: 'test/integration/recording-proxy.test.ts',
    needle: "crewgate('replay', session)",
  },
  'crewgate verify SESSION': {
    by: 'test/integration/recording-proxy.test.ts',
    needle: "crewgate('verify', session",
  },
  'crewgate export --since 1h --format jsonl': {
    by: 'test/integration/recording-proxy.test.ts',
    needle: "crewgate('export', '--since', '1h', '--format', 'jsonl')",
  },
  'helm install crewgate charts/crewgate -n crewgate-system --create-namespace': { by: here, needle: '' },
  'kubectl apply -f examples/crewai/namespace.yaml -f examples/crewai/': { by: here, needle: '' },
};

const readme = readFileSync(join(repositoryRoot, 'README.md'), 'utf8');
const commands = readmeCommands(readme);
const ranHere = new Set<string>();

/** Runs a README command verbatim through bash, as the cluster admin, with the harness's clients first on PATH. */
async function run(command: string, extraArgs = '', substitutions: Record<string, string> = {}) {
  expect(commands, 'the README no longer prints this command').toContain(command);
  ranHere.add(command);
  let line = command;
  for (const [from, to] of Object.entries(substitutions)) line = line.replaceAll(from, to);
  const env = {
    ...process.env,
    PATH: `${dirname(harness.controlPlane.kubectl)}:${dirname(locateHelm())}:${process.env.PATH}`,
    KUBECONFIG: harness.controlPlane.adminKubeconfig,
    HELM_CACHE_HOME: join(harness.dir, 'helm-cache'),
    HELM_CONFIG_HOME: join(harness.dir, 'helm-config'),
    HELM_DATA_HOME: join(harness.dir, 'helm-data'),
  };
  return runCommand('bash', ['-c', `cd ${JSON.stringify(repositoryRoot)} && ${line}${extraArgs}`], {
    env,
    timeoutMs: 60_000,
  });
}

afterAll(async () => {
  // Leave the shared namespace `agents` as other tests expect it: without the basics' objects.
  await kubectl(harness, ['delete', '-f', join(repositoryRoot, 'examples/basics'), '--ignore-not-found']);
});

describe('README.md commands', () => {
  it('are each run by a test or the demo (listed here with the file that runs it)', () => {
    expect(commands.length).toBeGreaterThan(10);
    for (const command of commands) expect(Object.keys(exercised), `README: ${command}`).toContain(command);
    for (const [command, { by, needle }] of Object.entries(exercised)) {
      expect(commands, `listed but not in the README: ${command}`).toContain(command);
      expect(readFileSync(join(repositoryRoot, by), 'utf8'), `${by} runs ${command}`).toContain(needle);
    }
    // The only commands no test runs are the benchmarks, on purpose.
    expect(
      Object.entries(exercised)
        .filter(([, e]) => e.notRunByATest)
        .map(([c]) => c),
    ).toEqual(['make bench', 'BENCH_ONLY=policy,postgres make bench']);
  });

  it('kubectl apply -f crds/ installs the four CRDs', async () => {
    const applied = await run('kubectl apply -f crds/');
    expect(applied.code, applied.stderr).toBe(0);
    for (const plural of ['accesspolicies', 'approvalrequests', 'connections', 'maskingrules'])
      expect(applied.stdout).toMatch(
        new RegExp(
          `customresourcedefinition.apiextensions.k8s.io/${plural}.crewgate.dev (created|configured|unchanged)`,
        ),
      );
  });

  it('kubectl apply -f examples/crewai/namespace.yaml -f examples/basics/ creates one of each kind', async () => {
    const applied = await run('kubectl apply -f examples/crewai/namespace.yaml -f examples/basics/');
    expect(applied.code, applied.stderr).toBe(0);
    for (const object of [
      'namespace/agents',
      'connection.crewgate.dev/reporting-db',
      'accesspolicy.crewgate.dev/analysts',
      'maskingrule.crewgate.dev/pii',
      'approvalrequest.crewgate.dev/reporting-db-update-7f3k2',
    ])
      expect(applied.stdout).toMatch(new RegExp(`${object} (created|configured|unchanged)`));
  });

  it('kubectl get approvalrequests -A prints the printer columns the README names', async () => {
    const listed = await run('kubectl get approvalrequests -A');
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(/^NAMESPACE\s+NAME\s+PHASE\s+REQUESTER\s+CONNECTION\s+COMMAND\s+AGE\n/);
    expect(listed.stdout).toMatch(
      /agents\s+reporting-db-update-7f3k2\s+\S*\s*agent-analyst\s+reporting-db\s+UPDATE orders SET status/,
    );
    expect(readme).toContain(
      'kubectl get approvalrequests -A     # NAMESPACE, NAME, PHASE, REQUESTER, CONNECTION, COMMAND, AGE',
    );
  });

  it('the README’s kubectl patch adds a review the API server accepts', async () => {
    const command = readmeCommands(readme).find((c) => c.startsWith('kubectl patch approvalrequest'))!;
    // The operator's webhook (not running here) stamps the reviewer; operator-webhooks.test.ts covers it.
    const patched = await run(command, '', { NAME: 'reporting-db-update-7f3k2' });
    expect(patched.code, patched.stderr).toBe(0);
    expect(patched.stdout).toContain('approvalrequest.crewgate.dev/reporting-db-update-7f3k2 patched');
    const got = await kubectl(harness, [
      'get',
      'approvalrequest',
      'reporting-db-update-7f3k2',
      '-n',
      'agents',
      '-o',
      'jsonpath={.spec.reviews[*].decision}',
    ]);
    expect(got.stdout).toContain('Approve');
  });

  it('helm install crewgate charts/crewgate ... installs against the real API server (--dry-run=server)', async () => {
    const installed = await run(
      'helm install crewgate charts/crewgate -n crewgate-system --create-namespace',
      ' --dry-run=server',
    );
    expect(installed.code, installed.stderr).toBe(0);
    expect(installed.stdout).toMatch(/NAME: crewgate\n/);
    expect(installed.stdout).toContain('STATUS: pending-install');
    expect(installed.stdout).toContain('kind: Deployment');
    // helm-chart.test.ts applies the same manifests with kubectl apply --dry-run=server.
  });

  describe('kubectl apply -f examples/crewai/namespace.yaml -f examples/crewai/', () => {
    const crewai = join(repositoryRoot, 'examples/crewai');

    it('applies the Namespace first; the directory alone would not (files go in lexical order)', async () => {
      const order = async (args: string[]) =>
        (await kubectl(harness, ['apply', '--dry-run=client', '-o', 'name', ...args])).stdout
          .trim()
          .split('\n');
      const alone = await order(['-f', `${crewai}/`]);
      expect(alone.indexOf('namespace/agents')).toBeGreaterThan(
        alone.indexOf('connection.crewgate.dev/bastion'),
      );
      const documented = await order(['-f', `${crewai}/namespace.yaml`, '-f', `${crewai}/`]);
      expect(documented[0]).toBe('namespace/agents');
    });

    it('works on a cluster without the namespace, where the directory alone fails', async () => {
      // Fresh namespaces, so the first apply really creates them: the same files with `agents` and
      // `storefront` renamed, under the same file names.
      const suffix = Date.now().toString(36);
      const copy = (dir: string, agents: string, storefront: string) => {
        for (const f of readdirSync(crewai).filter((n) => n.endsWith('.yaml')))
          writeFileSync(
            join(dir, f),
            readFileSync(join(crewai, f), 'utf8')
              .replace(/\bagents\b/g, agents)
              .replace(/\bstorefront\b/g, storefront),
          );
      };
      const first = mkdtempSync(join(tmpdir(), 'readme-crewai-'));
      copy(first, `agents-${suffix}`, `storefront-${suffix}`);
      const applied = await kubectl(harness, [
        'apply',
        '-f',
        join(first, 'namespace.yaml'),
        '-f',
        `${first}/`,
      ]);
      expect(applied.stderr).toBe('');
      expect(applied.code).toBe(0);
      for (const object of [
        `namespace/agents-${suffix} created`,
        'connection.crewgate.dev/shop-db created',
        'connection.crewgate.dev/cluster created',
        'connection.crewgate.dev/bastion created',
        'accesspolicy.crewgate.dev/viewers created',
        'pod/research-crew-0 created',
      ])
        expect(applied.stdout).toContain(object);

      const second = mkdtempSync(join(tmpdir(), 'readme-crewai-'));
      copy(second, `agents-x${suffix}`, `storefront-x${suffix}`);
      const alone = await kubectl(harness, ['apply', '-f', `${second}/`]);
      expect(alone.code).not.toBe(0);
      expect(alone.stderr).toContain(`namespaces "agents-x${suffix}" not found`);
      // Objects and namespaces: with no namespace controller here, a deleted namespace keeps its contents.
      for (const dir of [first, second])
        await kubectl(harness, ['delete', '-f', `${dir}/`, '--ignore-not-found', '--wait=false']);
    });

    it('as the README prints it, every object is accepted by the real API server (--dry-run=server)', async () => {
      // Policies are checked by the operator's webhook, which is not installed here; the schema is.
      // A server-side dry run persists nothing, so the files' namespaces must exist already (the
      // test above applies the same files for real to namespaces that did not).
      await kubectl(harness, ['apply', '-f', join(crewai, 'namespace.yaml')]);
      await kubectl(harness, ['apply', '-f', '-'], {
        input: '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"storefront"}}',
      });
      const applied = await run(
        'kubectl apply -f examples/crewai/namespace.yaml -f examples/crewai/',
        ' --dry-run=server',
      );
      expect(applied.code, applied.stderr).toBe(0);
      expect(applied.stdout).toContain('connection.crewgate.dev/shop-db');
      expect(applied.stdout).toContain('pod/research-crew-0');
      expect(applied.stdout).not.toMatch(/^(?!.*\(server dry run\)).+$/m);
    });
  });

  it('every command listed as run here was run', () => {
    const listedHere = Object.entries(exercised)
      .filter(([, e]) => e.by === here)
      .map(([c]) => c);
    expect([...ranHere].sort()).toEqual(listedHere.sort());
  });
});
