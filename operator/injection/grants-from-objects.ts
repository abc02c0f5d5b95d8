/**
 * Grants from the raw objects the operator has (an API list in the webhook, the informer caches in
 * the control plane): policies compiled with the sidecar's engine, those that do not compile left
 * out (they grant nothing, fail closed). One function so the webhook at admission and the control
 * plane at every request decide grants the same way.
 */
import type { ConnectionSpec } from '../../crds/schemas/connection.js';
import { compilePolicy, type CompiledPolicy } from '../../sidecar/policy/index.js';
import type { InjectionGrants } from './grants.js';
import { grantsFromPolicies } from './grants-from-policies.js';

/** A Connection or AccessPolicy object as listed: metadata and spec, anything else ignored. */
export interface ListedObject {
  metadata?: { name?: string; namespace?: string };
  spec?: unknown;
}

/** Grants for `namespace` from its Connection and AccessPolicy objects. */
export function grantsFromObjects(
  namespace: string,
  connections: readonly ListedObject[],
  policies: readonly ListedObject[],
): InjectionGrants {
  const compiled: CompiledPolicy[] = [];
  for (const p of policies) {
    if (p.metadata?.name === undefined || (p.metadata.namespace ?? namespace) !== namespace) continue;
    const result = compilePolicy({ namespace, name: p.metadata.name }, p.spec);
    if (result.ok) compiled.push(result.policy);
  }
  return grantsFromPolicies(
    namespace,
    connections.flatMap((c) =>
      c.metadata?.name !== undefined && c.spec !== undefined
        ? [{ name: c.metadata.name, namespace: c.metadata.namespace, spec: c.spec as ConnectionSpec }]
        : [],
    ),
    compiled,
  );
}
