/**
 * Helpers for the policy tests: compile-or-throw and a terse Command builder. Test-only; not
 * exported from the package index.
 */
import type { Command, Identity } from '../core/command.js';
import { compilePolicy } from './compile-policy.js';
import { formatCompileErrors } from './compile-error.js';
import type { CompiledPolicy } from './types.js';

/** Compiles `namespace/name` + spec, throwing with the formatted errors when it does not compile. */
export function mustCompile(id: string, spec: unknown): CompiledPolicy {
  const [namespace = '', name = ''] = id.split('/');
  const r = compilePolicy({ namespace, name }, spec);
  if (!r.ok) throw new Error(`${id}: ${formatCompileErrors(r.errors)}`);
  return r.policy;
}

/** A command with sensible defaults for the fields a test does not care about. */
export function cmd(partial: Partial<Command> & { identity?: Identity }): Command {
  return {
    connection: 'reporting-db',
    protocol: 'postgres',
    identity: { subject: 'alice', groups: ['crewai-viewer'] },
    operations: ['select'],
    resources: [],
    text: '',
    attributes: {},
    ...partial,
  };
}

/** The analysts policy of DESIGN.md §5, the spec several tests start from. */
export const ANALYSTS_SPEC = {
  subjects: [{ group: 'crewai-viewer' }, { serviceAccount: { name: 'research-crew' } }],
  connections: ['reporting-db', 'prod-cluster'],
  rules: [
    { name: 'reads', match: { operations: ['select', 'explain', 'show'] }, action: 'Allow' },
    {
      name: 'writes-need-a-dba',
      match: { operations: ['insert', 'update', 'delete'] },
      action: 'RequireApproval',
      approval: { approverGroups: ['dba'], minApprovals: 1, timeout: '10m', scope: 'Once' },
    },
    { name: 'no-drops', match: { operations: ['ddl.drop'], text: ['DROP DATABASE*'] }, action: 'Deny' },
    {
      name: 'exec-into-privileged',
      match: { operations: ['exec'], attributes: { privilegedPod: true } },
      action: 'RequireApproval',
      approval: { approverGroups: ['sre'] },
    },
  ],
  masking: ['pii'],
  defaultAction: 'Deny',
};
