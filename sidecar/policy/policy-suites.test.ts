/**
 * Runs every policy suite in `test/policy-suites/*.yaml`: each file holds policies, optional Window
 * grants and a clock, and cases (a command and the decision expected). Adding a file adds cases; a
 * failing case is reported under its file and name. The suite format is checked strictly so a typo
 * in a suite fails loudly instead of silently testing nothing.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import type { Command } from '../core/command.js';
import { compilePolicy } from './compile-policy.js';
import { formatCompileErrors } from './compile-error.js';
import { evaluate, evaluateAll } from './evaluate.js';
import type { CompiledPolicy, Decision, WindowGrant } from './types.js';

const SUITES = new URL('../../test/policy-suites/', import.meta.url);

const isoDate = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'must be an RFC 3339 time');
const attributes = z.record(z.string(), z.union([z.string(), z.boolean()]));
const identity = z.strictObject({
  subject: z.string(),
  groups: z.array(z.string()).default([]),
  serviceAccount: z.string().optional(),
  pod: z.string().optional(),
  issuer: z.string().optional(),
});
const commandPart = z.strictObject({
  operations: z.array(z.string()).default([]),
  resources: z.array(z.string()).default([]),
  text: z.string().default(''),
  attributes: attributes.default({}),
});
const suiteCase = z.strictObject({
  name: z.string().min(1),
  identity,
  connection: z.string(),
  protocol: z.enum(['postgres', 'kubernetes', 'ssh', 'http']).default('postgres'),
  ...commandPart.shape,
  /** Several commands of one message (evaluateAll); replaces operations/resources/text/attributes. */
  commands: z.array(commandPart).optional(),
  now: isoDate.optional(),
  expect: z.strictObject({
    action: z.enum(['Allow', 'Deny', 'RequireApproval']),
    policy: z.string().nullable().optional(),
    rule: z.string().nullable().optional(),
    grant: z.string().nullable().optional(),
    masking: z.array(z.string()).optional(),
    observed: z
      .array(
        z.strictObject({ action: z.enum(['Deny', 'RequireApproval']), policy: z.string(), rule: z.string() }),
      )
      .optional(),
    reasonContains: z.string().optional(),
    approval: z.record(z.string(), z.unknown()).optional(),
  }),
});
const suite = z.strictObject({
  description: z.string().optional(),
  now: isoDate.default('2025-06-01T12:00:00Z'),
  policies: z.array(z.strictObject({ namespace: z.string(), name: z.string(), spec: z.unknown() })).min(1),
  grants: z
    .array(
      z.strictObject({
        name: z.string(),
        subject: z.string(),
        policy: z.string(),
        rule: z.string(),
        connection: z.string(),
        expiresAt: isoDate,
      }),
    )
    .default([]),
  cases: z.array(suiteCase).min(1),
});

const files = readdirSync(SUITES)
  .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
  .sort();

it('finds the policy suites', () => {
  expect(files.length).toBeGreaterThanOrEqual(5);
});

for (const file of files) {
  describe(file, () => {
    const raw: unknown = parse(readFileSync(new URL(file, SUITES), 'utf8'));
    const parsed = suite.safeParse(raw);
    if (!parsed.success) {
      it('is a well-formed suite', () => {
        throw new Error(`${file}: ${z.prettifyError(parsed.error)}`);
      });
      return;
    }
    const s = parsed.data;
    const policies: CompiledPolicy[] = [];
    const compileErrors: string[] = [];
    for (const p of s.policies) {
      const r = compilePolicy({ namespace: p.namespace, name: p.name }, p.spec);
      if (r.ok) policies.push(r.policy);
      else compileErrors.push(`${p.namespace}/${p.name}: ${formatCompileErrors(r.errors)}`);
    }
    const grants: WindowGrant[] = s.grants.map((g) => ({ ...g, expiresAt: new Date(g.expiresAt) }));

    it('compiles every policy', () => {
      expect(compileErrors).toEqual([]);
    });

    const names = new Set<string>();
    for (const c of s.cases) {
      it(c.name, () => {
        expect(names.has(c.name), `duplicate case name "${c.name}"`).toBe(false);
        names.add(c.name);
        const now = new Date(c.now ?? s.now);
        const base = { connection: c.connection, protocol: c.protocol, identity: c.identity };
        const decision: Decision =
          c.commands !== undefined
            ? evaluateAll(
                policies,
                c.commands.map((part): Command => ({ ...base, ...part })),
                grants,
                now,
              )
            : evaluate(
                policies,
                {
                  ...base,
                  operations: c.operations,
                  resources: c.resources,
                  text: c.text,
                  attributes: c.attributes,
                },
                grants,
                now,
              );
        const e = c.expect;
        const context = `${file} › ${c.name}: ${decision.reason}`;
        expect(decision.action, context).toBe(e.action);
        if (e.policy !== undefined) expect(decision.policy, context).toBe(e.policy ?? undefined);
        if (e.rule !== undefined) expect(decision.rule, context).toBe(e.rule ?? undefined);
        if (e.grant !== undefined) expect(decision.grant, context).toBe(e.grant ?? undefined);
        if (e.masking !== undefined) expect(decision.masking, context).toEqual(e.masking);
        if (e.observed !== undefined) expect(decision.observed, context).toEqual(e.observed);
        if (e.reasonContains !== undefined) expect(decision.reason, context).toContain(e.reasonContains);
        if (e.approval !== undefined) expect(decision.approval, context).toMatchObject(e.approval);
      });
    }
  });
}
