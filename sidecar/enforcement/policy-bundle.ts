/**
 * The compiled policy state a sidecar enforces: policies indexed by connection, the masking rules
 * they name, and the Window grants in force. The control plane pushes new bundles; a
 * `StaticBundleSource` serves one built from manifests (tests, the demo, a standalone sidecar).
 */
import {
  compilePolicy,
  indexPolicies,
  formatCompileErrors,
  type PolicyIndex,
  type WindowGrant,
} from '../policy/index.js';
import { compileMaskingRule, type CompiledMaskingRule } from '../masking/index.js';

export interface PolicyBundle {
  policies: PolicyIndex;
  /** By `namespace/name`, as decisions name them. */
  masking: ReadonlyMap<string, CompiledMaskingRule>;
  grants: readonly WindowGrant[];
}

export interface BundleSource {
  current(): PolicyBundle;
}

export interface ObjectManifest {
  metadata: { namespace?: string; name: string };
  spec: unknown;
}

export class BundleCompileError extends Error {
  override name = 'BundleCompileError';
}

export interface BundleManifests {
  accessPolicies: ObjectManifest[];
  maskingRules?: ObjectManifest[];
  /** HMAC keys for `hash` masking rules, by `namespace/name` of the rule. */
  hashKeys?: ReadonlyMap<string, Uint8Array>;
  grants?: WindowGrant[];
}

export function compileBundle(manifests: BundleManifests): PolicyBundle {
  const policies = manifests.accessPolicies.map((m) => {
    const ref = { namespace: m.metadata.namespace ?? 'default', name: m.metadata.name };
    const result = compilePolicy(ref, m.spec);
    if (!result.ok)
      throw new BundleCompileError(
        `AccessPolicy ${ref.namespace}/${ref.name}: ${formatCompileErrors(result.errors)}`,
      );
    return result.policy;
  });
  const masking = new Map<string, CompiledMaskingRule>();
  for (const m of manifests.maskingRules ?? []) {
    const ref = { namespace: m.metadata.namespace ?? 'default', name: m.metadata.name };
    const id = `${ref.namespace}/${ref.name}`;
    const result = compileMaskingRule(ref, m.spec, { hashKey: manifests.hashKeys?.get(id) });
    if (!result.ok) {
      throw new BundleCompileError(
        `MaskingRule ${id}: ${result.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`,
      );
    }
    masking.set(id, result.rule);
  }
  return { policies: indexPolicies(policies), masking, grants: manifests.grants ?? [] };
}

export class StaticBundleSource implements BundleSource {
  private bundle: PolicyBundle;
  constructor(bundle: PolicyBundle) {
    this.bundle = bundle;
  }
  current(): PolicyBundle {
    return this.bundle;
  }
  replace(bundle: PolicyBundle): void {
    this.bundle = bundle;
  }
}
