// `make demo` runs end to end (with CREWGATE_DEMO_EXIT=1 it stops at the end instead of waiting
// for Ctrl-C), and shows what the README promises.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repositoryRoot } from '../harness/paths.js';
import { runCommand } from '../harness/run.js';

describe('make demo', () => {
  it('injects the crew’s pod and shows allow with masking, deny, an approval by kubectl patch, a denial by a reviewer, replay and a verified chain', async () => {
    const demo = await runCommand(
      process.execPath,
      ['--import', 'tsx', join(repositoryRoot, 'scripts/demo.ts')],
      {
        env: { ...process.env, CREWGATE_DEMO_EXIT: '1' },
        timeoutMs: 240_000,
      },
    );
    const out = demo.stdout;
    expect(demo.code, demo.stderr).toBe(0);
    expect(out).toMatch(/initContainers: crewgate-sidecar \(restartPolicy Always\)/);
    expect(out).toMatch(/agent token mounts: 0 \(automountServiceAccountToken: false\)/);
    expect(out).toMatch(/denied the request: .*12h exceeds maxDuration 8h/);
    expect(out).toMatch(/→ Ada Lovelace \| \S+ \| \*{4} \*{4} \*{4} 1111/);
    expect(out).not.toContain('ada@example.com');
    expect(out).toMatch(/ERROR 42501: crewgate: Denied by rule "no-drops"/);
    expect(out).toMatch(/NOTICE: crewgate: waiting for approval: ApprovalRequest agents\/shop-db-[0-9a-f]+/);
    expect(out).toMatch(
      /shop-db-[0-9a-f]+\s+Pending\s+agent-analyst\s+shop-db\s+UPDATE orders SET status = 'refunded' WHERE id = 1/,
    );
    expect(out).toMatch(/→ UPDATE 1\n\s+reviewer stamped by the API server: rita \(Executed\)/);
    expect(out).toMatch(/ERROR 42501: crewgate: denied by rita: no bulk deletes/);
    expect(out).toMatch(/#1 ALLOW agents\/viewers\/reads/);
    expect(out).toMatch(/OK [0-9a-f-]{36}: \d+ events, chain intact/);
  }, 300_000);
});
