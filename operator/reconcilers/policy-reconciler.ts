/**
 * Reconciles AccessPolicies and MaskingRules: compiled with the same engine the sidecars run, so
 * the `Valid` condition says exactly what a sidecar would refuse; an AccessPolicy's status also
 * lists the connections and subjects it covers, and whether the MaskingRules it names exist.
 */
import type { AccessPolicySpec } from '../../crds/schemas/access-policy.js';
import { API_VERSION } from '../../crds/schemas/common.js';
import { validateMaskingRuleSpec } from '../../sidecar/masking/index.js';
import { compilePolicy, formatCompileErrors } from '../../sidecar/policy/index.js';
import type { ObjectKey, ReconcileResult } from '../controller/controller.js';
import { sameConditions, setConditions, type ConditionInput } from './conditions.js';
import { readCustomObject, writeStatus, type ReconcilerDeps } from './connection-reconciler.js';

interface CrewgateObject<S> {
  metadata: { name: string; namespace: string; generation?: number; uid?: string };
  spec: S;
  status?: {
    observedGeneration?: number;
    conditions?: import('../../crds/schemas/common.js').Condition[];
  } & Record<string, unknown>;
}

/** A subject as `kubectl get -o wide` and a reader would say it. */
export function describeSubject(subject: AccessPolicySpec['subjects'][number], namespace: string): string {
  if (subject.group) return `group:${subject.group}`;
  if (subject.user) return `user:${subject.user}`;
  const sa = subject.serviceAccount!;
  return `serviceaccount:${sa.namespace ?? namespace}/${sa.name}`;
}

export function accessPolicyConditions(
  key: ObjectKey,
  spec: unknown,
  existingMaskingRules: ReadonlySet<string>,
): { conditions: ConditionInput[]; extra: Record<string, unknown> } {
  const compiled = compilePolicy(key, spec);
  if (!compiled.ok) {
    return {
      conditions: [
        {
          type: 'Valid',
          status: 'False',
          reason: 'CompileFailed',
          message: formatCompileErrors(compiled.errors),
        },
      ],
      extra: {},
    };
  }
  const s = spec as AccessPolicySpec;
  const missing = (s.masking ?? []).filter((m) => !existingMaskingRules.has(m));
  const conditions: ConditionInput[] = [
    {
      type: 'Valid',
      status: 'True',
      reason: 'Compiled',
      message: `${compiled.policy.rules.length} rules compiled`,
    },
    missing.length > 0
      ? {
          type: 'MaskingResolved',
          status: 'False',
          reason: 'MaskingRuleNotFound',
          message: `MaskingRule ${missing.join(', ')} not found in ${key.namespace}: sidecars refuse results they cannot mask`,
        }
      : {
          type: 'MaskingResolved',
          status: 'True',
          reason: 'Found',
          message: 'every MaskingRule named exists',
        },
  ];
  return {
    conditions,
    extra: {
      coveredConnections: [...s.connections],
      coveredSubjects: s.subjects.map((sub) => describeSubject(sub, key.namespace)),
    },
  };
}

async function reconcileCompiled<S>(
  deps: ReconcilerDeps,
  plural: string,
  kind: string,
  key: ObjectKey,
  judge: (
    object: CrewgateObject<S>,
  ) => Promise<{ conditions: ConditionInput[]; extra: Record<string, unknown> }>,
): Promise<ReconcileResult> {
  const object = await readCustomObject<CrewgateObject<S>>(deps.clients, plural, key);
  if (!object) return {};
  const { conditions: inputs, extra } = await judge(object);
  const generation = object.metadata.generation ?? 0;
  const conditions = setConditions(
    object.status?.conditions,
    inputs,
    generation,
    (deps.now ?? (() => new Date()))(),
  );
  if (
    sameConditions(object.status?.conditions, conditions) &&
    object.status?.observedGeneration === generation
  )
    return {};
  await writeStatus(deps.clients, plural, key, { observedGeneration: generation, conditions, ...extra });
  const valid = conditions.find((c) => c.type === 'Valid')!;
  if (
    object.status?.conditions?.find((c) => c.type === 'Valid')?.status !== valid.status ||
    valid.status === 'False'
  ) {
    await deps.events.emit(
      { apiVersion: API_VERSION, kind, namespace: key.namespace, name: key.name, uid: object.metadata.uid },
      valid.status === 'True' ? 'Normal' : 'Warning',
      valid.reason,
      valid.message ?? '',
    );
  }
  return {};
}

export function accessPolicyReconciler(
  deps: ReconcilerDeps,
  maskingRuleNames: (namespace: string) => ReadonlySet<string>,
) {
  return (key: ObjectKey) =>
    reconcileCompiled<unknown>(deps, 'accesspolicies', 'AccessPolicy', key, async (o) =>
      accessPolicyConditions(key, o.spec, maskingRuleNames(key.namespace)),
    );
}

export function maskingRuleReconciler(deps: ReconcilerDeps) {
  return (key: ObjectKey) =>
    reconcileCompiled<unknown>(deps, 'maskingrules', 'MaskingRule', key, async (o) => {
      const result = validateMaskingRuleSpec(o.spec);
      return {
        conditions: [
          result.ok
            ? { type: 'Valid', status: 'True', reason: 'Compiled', message: 'masking rule compiled' }
            : {
                type: 'Valid',
                status: 'False',
                reason: 'CompileFailed',
                message: result.errors.map((e) => `${e.path}: ${e.message}`).join('; '),
              },
        ],
        extra: {},
      };
    });
}
