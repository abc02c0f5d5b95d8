// The generated CRDs are what the real API server enforces: valid manifests are accepted,
// invalid ones are refused by the API server itself with its own validation message.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { repositoryRoot } from '../harness/paths.js';
import { kubectl } from '../harness/run.js';

const harness = inject('harness');
const ns = `crds-${Date.now()}`;
const fixtures = join(repositoryRoot, 'test/integration/fixtures/invalid');

beforeAll(async () => {
  expect((await kubectl(harness, ['create', 'namespace', ns])).code).toBe(0);
});

describe('the crewgate CRDs on a real API server', () => {
  it('are established with the printer columns a reviewer sees', async () => {
    const result = await kubectl(harness, [
      'get',
      'crd',
      '-l',
      'app.kubernetes.io/part-of=crewgate',
      '-o',
      'name',
    ]);
    expect(result.stdout.trim().split('\n').sort()).toEqual([
      'customresourcedefinition.apiextensions.k8s.io/accesspolicies.crewgate.dev',
      'customresourcedefinition.apiextensions.k8s.io/approvalrequests.crewgate.dev',
      'customresourcedefinition.apiextensions.k8s.io/connections.crewgate.dev',
      'customresourcedefinition.apiextensions.k8s.io/maskingrules.crewgate.dev',
    ]);
  });

  it('accept a valid example of each kind, with defaults applied by the API server', async () => {
    const dir = join(repositoryRoot, 'examples/basics');
    for (const file of readdirSync(dir)) {
      // The examples are written for namespace "agents"; each test file uses a namespace of its own.
      const manifest = readFileSync(join(dir, file), 'utf8').replaceAll(
        'namespace: agents',
        `namespace: ${ns}`,
      );
      const result = await kubectl(harness, ['apply', '-f', '-'], { input: manifest });
      expect(result.stderr, file).toBe('');
      expect(result.code, file).toBe(0);
    }
    const policy = JSON.parse(
      (await kubectl(harness, ['get', 'accesspolicy', 'analysts', '-n', ns, '-o', 'json'])).stdout,
    );
    // Defaults from the zod schema, applied by the API server from the generated openAPIV3Schema.
    expect(policy.spec.rules[0].enforce).toBe(true);
    expect(policy.spec.rules[3].approval).toMatchObject({
      minApprovals: 1,
      timeout: '10m',
      scope: 'Once',
      maxDuration: '8h',
    });
    expect(policy.spec.rules[3].match.attributes).toEqual({ privilegedPod: true });

    const listed = await kubectl(harness, ['get', 'approvalrequests', '-n', ns]);
    expect(listed.stdout.split('\n')[0]).toMatch(/NAME\s+PHASE\s+REQUESTER\s+CONNECTION\s+COMMAND\s+AGE/);
    expect(listed.stdout).toMatch(
      /agent-analyst\s+reporting-db\s+UPDATE orders SET status = 'refunded' WHERE id = 42/,
    );
  });

  const invalid: [string, RegExp[]][] = [
    [
      'unknown-action.yaml',
      [
        /spec\.rules\[0\]\.action: Unsupported value: "Maybe": supported values: "Allow", "Deny", "RequireApproval"/,
      ],
    ],
    ['missing-connections.yaml', [/spec\.connections: Required value/]],
    [
      'wrong-types.yaml',
      [
        /spec\.detectors: Invalid value: "string": spec\.detectors in body must be of type array/,
        /spec\.keepLast: Invalid value: "string": spec\.keepLast in body must be of type integer/,
      ],
    ],
    ['two-subject-kinds.yaml', [/a subject sets exactly one of group, user or serviceAccount/]],
    ['unknown-field.yaml', [/unknown field "spec\.pasword"/]],
  ];
  it.each(invalid)('refuses %s with the API server’s own message', async (file, messages) => {
    const result = await kubectl(harness, ['apply', '-n', ns, '-f', join(fixtures, file)]);
    expect(result.code).not.toBe(0);
    for (const message of messages) expect(result.stderr).toMatch(message);
  });

  it('has every invalid fixture covered by a case above', () => {
    expect(readdirSync(fixtures).sort()).toEqual(invalid.map(([f]) => f).sort());
  });

  it('lets status be written only through the status subresource', async () => {
    const status = {
      status: {
        phase: 'Approved',
        approvedBy: ['rita-reviewer'],
        conditions: [
          {
            type: 'Decided',
            status: 'True',
            reason: 'Approved',
            message: 'approved by rita-reviewer',
            lastTransitionTime: '2026-11-23T10:00:00Z',
          },
        ],
      },
    };
    const patched = await kubectl(harness, [
      'patch',
      'approvalrequest',
      'reporting-db-update-7f3k2',
      '-n',
      ns,
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify(status),
    ]);
    expect(patched.stderr).toBe('');
    // The main resource ignores status: a write there does not change it.
    await kubectl(harness, [
      'patch',
      'approvalrequest',
      'reporting-db-update-7f3k2',
      '-n',
      ns,
      '--type=merge',
      '-p',
      JSON.stringify({ status: { phase: 'Denied' } }),
    ]);
    const phase = await kubectl(harness, [
      'get',
      'approvalrequest',
      'reporting-db-update-7f3k2',
      '-n',
      ns,
      '-o',
      'jsonpath={.status.phase}',
    ]);
    expect(phase.stdout).toBe('Approved');

    const badStatus = await kubectl(harness, [
      'patch',
      'approvalrequest',
      'reporting-db-update-7f3k2',
      '-n',
      ns,
      '--subresource=status',
      '--type=merge',
      '-p',
      '{"status":{"phase":"Whatever"}}',
    ]);
    expect(badStatus.code).not.toBe(0);
    expect(badStatus.stderr).toMatch(/status\.phase: Unsupported value: "Whatever"/);
  });
});
