/**
 * Properties of the engine over random policies and commands (fast-check):
 * - putting an enforced Deny rule in front of any policy only ever makes decisions stricter;
 * - a command carrying `unparseable` is never allowed unless a rule names `unparseable` literally;
 * - evaluateAll is the strictest of evaluate over each command.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Command } from '../core/command.js';
import { evaluate, evaluateAll } from './evaluate.js';
import { strictness } from './strictness.js';
import { mustCompile } from './test-helpers.js';
import type { WindowGrant } from './types.js';

const NOW = new Date('2025-06-01T12:00:00Z');
const OPS = ['select', 'insert', 'delete', 'update', 'ddl.drop', 'exec', 'shell', 'http.get'];
const OP_GLOBS = [
  ...OPS,
  '*',
  'sel*',
  'ddl.*',
  '?elect',
  '*e*',
  'unp*',
  '?nparseable',
  'unparseable*',
  '*able',
];
const RESOURCES = ['read:public.users', 'write:public.orders', 'pods/exec', '/api/v1'];
const RESOURCE_GLOBS = [...RESOURCES, '*', 'read:*', 'write:*', 'pods/*', '*users'];
const TEXTS = ['select * from users', 'DROP DATABASE prod', 'delete from orders', 'ls -la', ''];
const TEXT_GLOBS = ['*drop*', 'select*', '*', 'delete from ?rders'];
const SUBJECTS = [{ group: 'g1' }, { group: 'g2' }, { user: 'alice' }, { serviceAccount: { name: 'sa' } }];
const CONNECTIONS = ['db1', 'db2'];
const IDENTITIES = [
  { subject: 'alice', groups: ['g1'] },
  { subject: 'bob', groups: ['g2'] },
  { subject: 'carol', groups: [] },
  { subject: 'system:serviceaccount:a:sa', groups: [], serviceAccount: 'a/sa' },
];

const matchArb = (opGlobs: string[]) =>
  fc.record(
    {
      operations: fc.subarray(opGlobs, { minLength: 1, maxLength: 3 }),
      resources: fc.subarray(RESOURCE_GLOBS, { minLength: 1, maxLength: 2 }),
      text: fc.subarray(TEXT_GLOBS, { minLength: 1, maxLength: 2 }),
      attributes: fc.constantFrom({ privilegedPod: true }, { privilegedPod: 'true' }, { tty: false }),
    },
    { requiredKeys: [] },
  );

const ruleArb = (opGlobs: string[]) =>
  fc.record({
    match: matchArb(opGlobs),
    action: fc.constantFrom('Allow', 'Deny', 'RequireApproval'),
    enforce: fc.boolean(),
  });

const specArb = (opGlobs: string[]) =>
  fc.record({
    subjects: fc.subarray(SUBJECTS, { minLength: 1 }),
    connections: fc.subarray(CONNECTIONS, { minLength: 1 }),
    rules: fc.array(ruleArb(opGlobs), { maxLength: 5 }),
    defaultAction: fc.constantFrom('Allow', 'Deny'),
    masking: fc.subarray(['pii', 'secrets']),
  });

type SpecIn = {
  subjects: unknown[];
  connections: string[];
  rules: { match: unknown; action: string; enforce: boolean }[];
  defaultAction: string;
  masking: string[];
};

function toSpec(s: SpecIn, front?: { match: unknown }): unknown {
  const rules = s.rules.map((r, i) => ({
    name: `r${i}`,
    ...r,
    ...(r.action === 'RequireApproval'
      ? { approval: { approverGroups: ['dba'], scope: 'Window', duration: '1h' } }
      : {}),
  }));
  if (front !== undefined)
    rules.unshift({ name: 'front', match: front.match, action: 'Deny', enforce: true });
  return { ...s, rules };
}

const policiesArb = (opGlobs: string[]) => fc.array(specArb(opGlobs), { minLength: 1, maxLength: 3 });

const commandArb = (extraOps: string[] = []) =>
  fc.record({
    connection: fc.constantFrom('db1', 'db2', 'db3'),
    protocol: fc.constant('postgres' as const),
    identity: fc.constantFrom(...IDENTITIES),
    operations: fc.subarray([...OPS, ...extraOps], { maxLength: 3 }),
    resources: fc.subarray(RESOURCES, { maxLength: 3 }),
    text: fc.constantFrom(...TEXTS),
    attributes: fc.constantFrom({}, { privilegedPod: true }, { privilegedPod: 'true' }, { tty: false }),
  }) as fc.Arbitrary<Command>;

const grantsArb = fc.array(
  fc.record({
    name: fc.constantFrom('ar-1', 'ar-2'),
    subject: fc.constantFrom('alice', 'bob'),
    policy: fc.constantFrom('a/p0', 'b/p1', 'a/p2'),
    rule: fc.constantFrom('r0', 'r1', 'r2'),
    connection: fc.constantFrom(...CONNECTIONS),
    expiresAt: fc.constantFrom(new Date(NOW.getTime() - 1), new Date(NOW.getTime() + 60_000)),
  }),
  { maxLength: 3 },
) as fc.Arbitrary<WindowGrant[]>;

const NAMES = ['a/p0', 'b/p1', 'a/p2'];
const compileAll = (specs: unknown[]) => specs.map((s, i) => mustCompile(NAMES[i] as string, s));

describe('engine properties', () => {
  it('a Deny rule added at the front of a policy only makes decisions stricter', () => {
    fc.assert(
      fc.property(
        policiesArb([...OP_GLOBS, 'unparseable']),
        fc.nat(),
        matchArb([...OP_GLOBS, 'unparseable']),
        commandArb(['unparseable']),
        grantsArb,
        (specs, which, frontMatch, command, grants) => {
          const k = which % specs.length;
          const before = compileAll(specs.map((s) => toSpec(s as SpecIn)));
          const after = compileAll(
            specs.map((s, i) => toSpec(s as SpecIn, i === k ? { match: frontMatch } : undefined)),
          );
          const a = evaluate(before, command, grants, NOW);
          const b = evaluate(after, command, grants, NOW);
          expect(strictness(b.action)).toBeGreaterThanOrEqual(strictness(a.action));
          if (a.action === 'Deny') expect(b.action).toBe('Deny');
        },
      ),
      { numRuns: 500 },
    );
  });

  it('an unparseable command is denied unless a rule names "unparseable" literally', () => {
    fc.assert(
      fc.property(policiesArb(OP_GLOBS), commandArb(), grantsArb, (specs, command, grants) => {
        const policies = compileAll(specs.map((s) => toSpec(s as SpecIn)));
        const withUnparseable = { ...command, operations: [...command.operations, 'unparseable'] };
        expect(evaluate(policies, withUnparseable, grants, NOW).action).toBe('Deny');
        const empty = { ...command, operations: [] };
        expect(evaluate(policies, empty, grants, NOW).action).toBe('Deny');
      }),
      { numRuns: 500 },
    );
  });

  it('evaluateAll is the strictest of evaluate over each command', () => {
    fc.assert(
      fc.property(
        policiesArb([...OP_GLOBS, 'unparseable']),
        fc.array(commandArb(['unparseable']), { maxLength: 4 }),
        grantsArb,
        (specs, commands, grants) => {
          const policies = compileAll(specs.map((s) => toSpec(s as SpecIn)));
          const all = evaluateAll(policies, commands, grants, NOW);
          const each = commands.map((c) => evaluate(policies, c, grants, NOW));
          const max = Math.max(0, ...each.map((d) => strictness(d.action)));
          expect(strictness(all.action)).toBe(max);
          if (commands.length > 0) {
            const first = each.find((d) => strictness(d.action) === max);
            expect(all.reason).toBe(first?.reason);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
