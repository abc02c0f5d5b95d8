/**
 * Which JSON body fields the policies of one Connection match on. A request body is read (and
 * held back from the upstream) only when some rule names a `body.*` attribute, so requests under
 * policies that never look at bodies stream straight through.
 */
import { compileJsonPath } from '../classify/http/index.js';
import type { PolicyBundle } from '../enforcement/policy-bundle.js';

const cache = new WeakMap<PolicyBundle, Map<string, BodyFieldPlan>>();

export interface BodyFieldPlan {
  /** JSONPaths for `classifyHttp`'s `bodyFields` (`body.user.role` is `$.user.role`). */
  fields: string[];
  /** Attribute names outside the classifier's path subset: no request can ever carry them. */
  unusable: string[];
}

export function bodyFieldsFor(bundle: PolicyBundle, connection: string): BodyFieldPlan {
  let byConnection = cache.get(bundle);
  if (byConnection === undefined) cache.set(bundle, (byConnection = new Map()));
  let plan = byConnection.get(connection);
  if (plan === undefined) {
    const fields = new Set<string>();
    const unusable = new Set<string>();
    for (const policy of bundle.policies.forConnection(connection)) {
      for (const name of policy.attributeNames) {
        if (!name.startsWith('body.') && !name.startsWith('body[')) continue;
        const path = `$${name.slice(4)}`;
        if (typeof compileJsonPath(path) === 'string') unusable.add(name);
        else fields.add(path);
      }
    }
    plan = { fields: [...fields].sort(), unusable: [...unusable].sort() };
    byConnection.set(connection, plan);
  }
  return plan;
}
