/**
 * Sidecar injection, pure: the webhook shell decodes an AdmissionReview, calls `injectRequired`
 * and `injectPod` with the pod, its namespace, the operator's config and the namespace's grants,
 * and encodes the patch or the refusal.
 */
export { injectRequired, alreadyInjected, type InjectRequiredResult } from './inject-required.js';
export { injectPod, injectedVolumes, type InjectPodResult } from './inject-pod.js';
export {
  injectionConfigSchema,
  type InjectionConfig,
  type InjectionConfigInput,
} from './injection-config.js';
export type { ConnectionTarget, InjectionGrants } from './grants.js';
export { grantsFromPolicies, workloadIdentity } from './grants-from-policies.js';
export { connectionTarget, parseAddress, isIpLiteral } from './connection-target.js';
export {
  parseConnectionsAnnotation,
  resolveConnections,
  type RequestedConnection,
} from './requested-connections.js';
export { assignListenPorts, declaredPorts, type Listener } from './listen-ports.js';
export {
  sidecarPodConfigSchema,
  buildSidecarPodConfig,
  renderSidecarPodConfig,
  type SidecarPodConfig,
} from './sidecar-pod-config.js';
export { renderKubeconfig } from './kubeconfig.js';
export { appEnvironment, envPatch } from './app-env.js';
export { verifyInjectedPod, type VerifyInjectedPodResult } from './verify-injected-pod.js';
export { isolationProblem } from './pod-isolation.js';
export { grantsFromObjects } from './grants-from-objects.js';
export { isServiceAccountTokenVolume, isTokenMount } from './token-isolation.js';
export { escapePointerToken, pointer } from './json-pointer.js';
export type { JsonPatchOperation } from './json-patch.js';
export type { Pod, PodSpec, Container, Volume, VolumeMount, EnvVar, NamespaceInfo } from './pod.js';
export * from './constants.js';
