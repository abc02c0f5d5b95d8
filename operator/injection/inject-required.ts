/**
 * Whether a pod gets the sidecar: a pure predicate, as Istio's `injectRequired`, so the webhook
 * shell only decodes, asks, and encodes, and every selection rule is a table test.
 */
import {
  INJECT_LABEL,
  NEVER_INJECTED_NAMESPACES,
  SIDECAR_CONTAINER,
  STATUS_ANNOTATION,
  STATUS_INJECTED,
} from './constants.js';
import type { InjectionConfig } from './injection-config.js';
import type { NamespaceInfo, Pod } from './pod.js';

/** The answer, with a sentence for logs and the webhook's metrics label. */
export interface InjectRequiredResult {
  inject: boolean;
  reason: string;
}

/**
 * Injects when the pod's label `crewgate.dev/inject` is `enabled`, or its namespace's label is
 * `enabled` and the pod's is not `disabled`. Never into kube-system, kube-public or a configured
 * excluded namespace, never into a host-network pod, never twice.
 */
export function injectRequired(
  pod: Pod,
  namespace: NamespaceInfo,
  config: Pick<InjectionConfig, 'excludedNamespaces'>,
): InjectRequiredResult {
  const ns = namespace.name;
  if (NEVER_INJECTED_NAMESPACES.includes(ns))
    return { inject: false, reason: `namespace ${ns} is never injected` };
  if (config.excludedNamespaces.includes(ns))
    return {
      inject: false,
      reason: `namespace ${ns} is excluded from injection by the operator's configuration`,
    };

  const already = alreadyInjected(pod);
  if (already !== undefined) return { inject: false, reason: `already injected: ${already}` };

  const podLabel = pod.metadata?.labels?.[INJECT_LABEL];
  const nsLabel = namespace.labels?.[INJECT_LABEL];
  let selectedBy: string;
  if (podLabel === 'disabled') return { inject: false, reason: `pod label ${INJECT_LABEL}=disabled` };
  if (podLabel === 'enabled') selectedBy = `pod label ${INJECT_LABEL}=enabled`;
  else if (nsLabel === 'enabled') selectedBy = `namespace ${ns} label ${INJECT_LABEL}=enabled`;
  else return { inject: false, reason: `neither the pod nor namespace ${ns} has ${INJECT_LABEL}=enabled` };

  if (pod.spec.hostNetwork === true) {
    return {
      inject: false,
      reason:
        `selected by ${selectedBy}, but the pod uses hostNetwork: the sidecar's loopback listeners and ` +
        `the transparent-mode iptables rules would act on the node's network namespace, not the pod's`,
    };
  }
  return { inject: true, reason: `selected by ${selectedBy}` };
}

/** Why the pod already carries the sidecar, or undefined when it does not. */
export function alreadyInjected(pod: Pod): string | undefined {
  if (pod.metadata?.annotations?.[STATUS_ANNOTATION] === STATUS_INJECTED)
    return `annotation ${STATUS_ANNOTATION}=${STATUS_INJECTED}`;
  if (pod.spec.initContainers?.some((c) => c.name === SIDECAR_CONTAINER))
    return `initContainer ${SIDECAR_CONTAINER} present`;
  if (pod.spec.containers.some((c) => c.name === SIDECAR_CONTAINER))
    return `container ${SIDECAR_CONTAINER} present`;
  return undefined;
}
