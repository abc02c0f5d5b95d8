/**
 * Builds InjectionGrants from what the webhook shell has in its caches: the Connections and the
 * compiled AccessPolicies of the pod's namespace. A policy grants a connection to a service account
 * when it lists the connection and one of its subjects designates the pod's workload identity —
 * the same identity (and the same groups) the sidecar's token verifier will derive at run time, so
 * the injector never admits a pod the sidecar would then refuse for lack of a policy.
 */
import type { Identity } from '../../sidecar/core/command.js';
import type { CompiledPolicy } from '../../sidecar/policy/index.js';
import type { ConnectionSpec } from '../../crds/schemas/connection.js';
import { connectionTarget } from './connection-target.js';
import type { ConnectionTarget, InjectionGrants } from './grants.js';

/** The workload identity of `namespace/serviceAccount`, as the sidecar's verifier builds it. */
export function workloadIdentity(namespace: string, serviceAccount: string): Identity {
  return {
    subject: `system:serviceaccount:${namespace}:${serviceAccount}`,
    groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'],
    serviceAccount: `${namespace}/${serviceAccount}`,
  };
}

/**
 * Grants for `namespace`. Connections and policies of other namespaces are ignored (a policy binds
 * connections of its own namespace only); a Connection whose address does not parse is `unusable`.
 */
export function grantsFromPolicies(
  namespace: string,
  connections: readonly { name: string; namespace?: string; spec: ConnectionSpec }[],
  policies: readonly CompiledPolicy[],
): InjectionGrants {
  const targets: Record<string, ConnectionTarget> = {};
  const unusable: Record<string, string> = {};
  for (const c of connections) {
    if (c.namespace !== undefined && c.namespace !== namespace) continue;
    const t = connectionTarget(c.spec);
    if (t.ok) targets[c.name] = t.target;
    else unusable[c.name] = t.message;
  }
  const local = policies.filter((p) => p.namespace === namespace);
  return {
    connections: targets,
    unusable,
    grantedTo(connection, serviceAccount) {
      const identity = workloadIdentity(namespace, serviceAccount);
      return local.some((p) => p.connections.has(connection) && p.subjects.matches(identity));
    },
  };
}
