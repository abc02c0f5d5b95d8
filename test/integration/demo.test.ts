// `make demo` runs end to end and shows what the README promises: every step's visible output is
// asserted, and the "connect by hand" commands it prints are run, as printed, while it keeps
// running; then Ctrl-C (SIGINT) stops it cleanly.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repositoryRoot } from '../harness/paths.js';
import { runCommand } from '../harness/run.js';

let out = '';
let err = '';
let exit: Promise<number | null>;
let stop: () => void;

beforeAll(async () => {
  const demo = spawn(process.execPath, ['--import', 'tsx', join(repositoryRoot, 'scripts/demo.ts')], {
    cwd: repositoryRoot,
    env: { ...process.env, CREWGATE_DEMO_EXIT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  exit = new Promise((resolve) => demo.once('exit', resolve));
  stop = () => demo.kill('SIGINT');
  demo.stdout.on('data', (c: Buffer) => (out += stripVTControlCharacters(c.toString())));
  demo.stderr.on('data', (c: Buffer) => (err += c.toString()));
  await Promise.race([
    new Promise<void>((resolve) => {
      const check = () => (out.includes('Running until Ctrl-C.') ? resolve() : setTimeout(check, 100));
      check();
    }),
    exit.then((code) => {
      throw new Error(`the demo exited ${code} before its end:\n${out}\n${err}`);
    }),
  ]);
}, 240_000);

afterAll(async () => {
  stop?.();
  await exit;
});

/** The lines of step `heading` (up to the next step). */
const stepText = (heading: string) => {
  const start = out.indexOf(heading);
  expect(start, `step "${heading}" in:\n${out}`).toBeGreaterThanOrEqual(0);
  const next = out.indexOf('\n== ', start + 1);
  return out.slice(start, next < 0 ? undefined : next);
};

describe('make demo', () => {
  it('runs the operator with in-pod settings; it provisions the recording store', () => {
    const text = stepText('The operator');
    expect(text).toMatch(
      /provisioned the recording store from Secret crewgate-system\/crewgate-recording-store/,
    );
    expect(text).toMatch(/the auditors' read-only login crewgate_reader \(for crewgate replay\)/);
  });

  it('refuses a policy with a too long approval window at apply time', () => {
    expect(stepText('applies examples/crewai')).toMatch(/denied the request: .*12h exceeds maxDuration 8h/);
  });

  it('injects the crew’s pod and starts the sidecar from its injected container', () => {
    const pod = stepText('The crew’s pod is created');
    expect(pod).toMatch(/initContainers: crewgate-sidecar \(restartPolicy Always\)/);
    expect(pod).toMatch(/crewgate-sidecar args: --config \/etc\/crewgate\/sidecar\.yaml/);
    expect(pod).toMatch(
      /shop-db \(postgres\) on 127\.0\.0\.1:15432, cluster \(kubernetes\) on 127\.0\.0\.1:16443, bastion \(ssh\) on 127\.0\.0\.1:2222; control plane https:\/\/127\.0\.0\.1:\d+/,
    );
    expect(pod).toMatch(/agent env: .*KUBECONFIG=\/var\/run\/crewgate\/client\/kubeconfig/);
    expect(pod).toMatch(/agent env: .*CREWGATE_SSH_CONFIG=\/var\/run\/crewgate\/client\/ssh_config/);
    expect(pod).toMatch(/agent token mounts: 0 \(automountServiceAccountToken: false\)/);
    const sidecar = stepText('The pod’s sidecar starts');
    expect(sidecar).toMatch(/There is no kubelet/);
    expect(sidecar).toMatch(/TokenRequest token bound to pod research-crew-0/);
    expect(sidecar).toMatch(
      /ready: shop-db on 127\.0\.0\.1:15432 \(PostgreSQL\), cluster on 127\.0\.0\.1:16443 \(Kubernetes API\), bastion on 127\.0\.0\.1:2222 \(SSH\)/,
    );
  });

  it('shows masking, a denial naming its rule, an approval by kubectl patch and a denial by a reviewer', () => {
    const text = stepText('The agent’s session');
    expect(text).toMatch(/→ Ada Lovelace \| \S+ \| \*{4} \*{4} \*{4} 1111/);
    expect(out).not.toContain('ada@example.com');
    expect(text).toMatch(/ERROR 42501: crewgate: Denied by rule "no-drops"/);
    expect(text).toMatch(/NOTICE: crewgate: waiting for approval: ApprovalRequest agents\/shop-db-[0-9a-f]+/);
    expect(text).toMatch(
      /shop-db-[0-9a-f]+\s+Pending\s+agent-analyst\s+shop-db\s+UPDATE orders SET status = 'refunded' WHERE id = 1/,
    );
    expect(text).toMatch(/→ UPDATE 1\n\s+reviewer stamped by the API server: rita \(Executed\)/);
    expect(text).toMatch(/ERROR 42501: crewgate: denied by rita: no bulk deletes/);
  });

  it('shows a policy edit changing the next decision of the running sidecar, with the time it took', () => {
    const text = stepText('A policy edit reaches the running sidecar');
    expect(text).toMatch(/Before: .*\n.*FROM customers\n\s+→ 5/);
    const took =
      /the sidecar had the new policy bundle (\d+) ms after kubectl patch was issued \(same process, pid \d+, still running\)/.exec(
        text,
      );
    expect(took, text).not.toBeNull();
    expect(Number(took![1])).toBeLessThan(5_000);
    expect(text).toMatch(
      /After: .*\n.*FROM customers\n\s+✗ ERROR 42501: crewgate: Denied by rule "no-customer-lists"/,
    );
  });

  it('shows an approval window letting the next write through without a new request', () => {
    const text = stepText('An approval window');
    expect(text).toMatch(/WHERE id = 2\n(.*\n)+?\s+→ UPDATE 1\n/);
    expect(text).toMatch(
      /no new request:\n.*WHERE id = 3\n\s+→ UPDATE 1\n\s+ApprovalRequests in agents: 3 before, 3 after/,
    );
  });

  it('runs kubectl through the sidecar as the pod’s identity: an exec allowed with its output, an rm denied naming the rule', () => {
    const text = stepText('kubectl through the sidecar');
    expect(text).toMatch(/kwok stands in for the kubelet/);
    expect(text).toMatch(
      /KUBECONFIG=\/var\/run\/crewgate\/client\/kubeconfig\): https:\/\/127\.0\.0\.1:16443/,
    );
    expect(text).toMatch(/workload identity, system:serviceaccount:agents:research-crew/);
    expect(text).toMatch(/\$ kubectl get pods -n storefront\n\s+→ NAME .*\n\s+→ target\s+1\/1\s+Running/);
    // kwok runs the exec as a local process: `ls /` lists this machine's root.
    expect(text).toMatch(/\$ kubectl exec -n storefront target -- ls \/\n\s+→ .*\bbin\b.*\betc\b.*\busr\b/);
    expect(text).toMatch(
      /\$ kubectl exec -n storefront target -- rm -rf \/data\n\s+✗ error: unable to upgrade connection: crewgate: Denied by rule "no-rm" of AccessPolicy agents\/cluster-viewers\.\n\s+\(exit status 1\)/,
    );
  });

  it('runs ssh through the sidecar: allowed commands’ output, rm -rf / refused with exit status 126 and the stderr line', () => {
    const text = stepText('ssh through the sidecar');
    // The sidecar-written config pins its host key: no ssh-keyscan, no trust on first use.
    expect(text).toMatch(
      /wrote CREWGATE_SSH_CONFIG=\/var\/run\/crewgate\/client\/ssh_config\n.*Host bastion → 127\.0\.0\.1:2222, StrictHostKeyChecking yes\) and known_hosts with that key: no trust on first use/,
    );
    expect(text).not.toMatch(/keyscan/);
    expect(text).toMatch(/\$ ssh -F "\$CREWGATE_SSH_CONFIG" bastion uptime\n\s+→ .*load average: /);
    expect(text).toMatch(/\$ ssh -F "\$CREWGATE_SSH_CONFIG" bastion df -h \/\n\s+→ Filesystem\s+Size\s+Used/);
    expect(text).toMatch(
      /\$ ssh -F "\$CREWGATE_SSH_CONFIG" bastion 'rm -rf \/'\n\s+✗ crewgate: denied by agents\/bastion-viewers\/no-destruction: .*\n\s+\(exit status 126\)/,
    );
  });

  it('replays the session from the store and verifies its chain', () => {
    const text = stepText('The auditor replays');
    expect(text).toMatch(/#1 ALLOW agents\/viewers\/reads\n\s+> SELECT full_name, email, card_number/);
    expect(text).toMatch(/DENY agents\/viewers\/no-drops\n\s+> DROP TABLE customers/);
    expect(text).toMatch(
      /ALLOW agents\/viewers\/writes-need-a-dba approval shop-db-[0-9a-f]+\n\s+> UPDATE orders/,
    );
    expect(text).toMatch(/DENY agents\/viewers\/no-customer-lists/);
    expect(text).toMatch(/ALLOW agents\/viewers\/writes-need-a-dba grant shop-db-[0-9a-f]+\n.*WHERE id = 3/);
    expect(text).toMatch(/OK [0-9a-f-]{36}: \d+ events, chain intact/);
  });

  it('prints "connect by hand" commands that work against what is running', async () => {
    const text = stepText('Connect by hand');
    const commands = text
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => /^(TOKEN=|PGPASSWORD=|CREWGATE_TOKEN=|export |kubectl |npx )/.test(l));
    expect(commands.some((c) => c.startsWith('PGPASSWORD="$TOKEN" psql "host=127.0.0.1 port=15432'))).toBe(
      true,
    );
    expect(commands.some((c) => /^kubectl --kubeconfig \S+ get approvalrequests -A/.test(c))).toBe(true);
    expect(commands.some((c) => c.startsWith('kubectl crewgate list -A'))).toBe(true);
    expect(
      commands.some((c) =>
        /^CREWGATE_TOKEN="\$TOKEN" SSH_ASKPASS=\S+ SSH_ASKPASS_REQUIRE=force ssh -n -F \S+\/var\/run\/crewgate\/client\/ssh_config bastion uptime$/.test(
          c,
        ),
      ),
    ).toBe(true);
    expect(
      commands.some((c) =>
        /^kubectl --kubeconfig \S+\/var\/run\/crewgate\/client\/kubeconfig exec -n storefront target -- ls \/$/.test(
          c,
        ),
      ),
    ).toBe(true);
    // Run as printed, in one shell; the first psql (the agent's, through the sidecar) reads stdin.
    const ran = await runCommand('bash', ['-c', `cd ${repositoryRoot}\n${commands.join('\n')}`], {
      input: 'SELECT email FROM customers ORDER BY id LIMIT 1;\nDROP TABLE orders;\n',
      // `kubectl crewgate` as after `make install-plugin`: scripts/kubectl-crewgate on the PATH.
      env: { ...process.env, PATH: `${join(repositoryRoot, 'scripts')}:${process.env.PATH}` },
      timeoutMs: 60_000,
    });
    expect(ran.stdout).toContain('***@******e.com');
    expect(ran.stdout).not.toContain('ada@example.com');
    expect(ran.stderr).toMatch(/ERROR: {2}crewgate: Denied by rule "no-drops"/);
    // ssh through the sidecar with the token, and kubectl exec with the agent's kubeconfig.
    expect(ran.stdout).toMatch(/load average: /);
    expect(ran.stdout).toMatch(/^usr$/m);
    // kubectl get as the admin and as rita, and the plugin as rita, all list the requests.
    expect(ran.stderr).not.toMatch(/Forbidden|forbidden|not found|No such file/);
    expect(ran.stdout.match(/NAMESPACE\s+NAME\s+PHASE\s+REQUESTER/g)).toHaveLength(2);
    expect(ran.stdout).toMatch(
      /NAME\s+NAMESPACE\s+PHASE\s+REQUESTER.*\n(shop-db-[0-9a-f]+\s+agents\s+\w+.*\n){3}/,
    );
    expect(ran.stdout).toMatch(/[0-9a-f-]{36}\s+\S+\s+agent-analyst\s+shop-db/);
  }, 90_000);

  it('stops everything on Ctrl-C', async () => {
    stop();
    expect(await exit, err).toBe(0);
    expect(out).toContain('Stopping everything and removing its files...');
    expect(err).not.toMatch(/\n\s+at .*\(.*:\d+:\d+\)/);
  }, 60_000);
});
