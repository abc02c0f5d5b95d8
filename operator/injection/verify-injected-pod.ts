/**
 * Whether a pod that carries crewgate's injection markers (the `crewgate.dev/status` annotation, a
 * `crewgate-sidecar` container) is exactly what the injector would have made of it. Anyone who may
 * create pods can write those markers themselves, so neither the webhook (at CREATE) nor the control
 * plane (when a sidecar asks for credentials) trusts them: both ask this pure function, which
 * recomputes the injector's output for the pod and compares.
 *
 * It holds when, and only when:
 * - the pod is (still) selected for injection (`injectRequired`, ignoring the markers themselves)
 *   and has none of the settings that break the sidecar's isolation (pod-isolation.ts);
 * - every connection it names exists and is granted to its service account by a policy NOW;
 * - the sidecar is one native sidecar init container equal to `sidecarContainer(config)` (image,
 *   args, mounts, securityContext, probes; only the API server's own defaults may be added, and
 *   resources are not compared because the API server rewrites quantities and they grant nothing);
 * - the config, token and spool volumes are the injector's, and the sidecar-config, kubeconfig and
 *   CA annotations are byte for byte what the injector writes (so the sidecar's token goes to the
 *   configured control plane and nowhere else);
 * - no container but the sidecar (app, init or ephemeral) mounts the token or spool volume, any
 *   service-account token, or anything at the service-account token path; no other volume carries
 *   a service-account token; automount is off; no ephemeral container targets the sidecar.
 *
 * A pod passing this confers nothing a freshly injected pod would not: the sidecar alone holds the
 * token and talks only to the configured control plane. That is why the webhook may let such a pod
 * through unchanged (Istio-style re-invocation after another webhook) while refusing any other.
 */
import { isDeepStrictEqual } from 'node:util';
import {
  CONTROL_PLANE_CA_ANNOTATION,
  SIDECAR_CONFIG_ANNOTATION,
  SIDECAR_CONTAINER,
  SPOOL_VOLUME,
  STATUS_ANNOTATION,
  STATUS_INJECTED,
  TOKEN_VOLUME,
} from './constants.js';
import type { InjectionGrants } from './grants.js';
import { injectedVolumes } from './inject-pod.js';
import { needsClientConfig } from './client-config.js';
import { injectRequired } from './inject-required.js';
import type { InjectionConfig } from './injection-config.js';
import { assignListenPorts, declaredPorts } from './listen-ports.js';
import { isolationProblem } from './pod-isolation.js';
import type { Container, NamespaceInfo, Pod, Volume } from './pod.js';
import { resolveConnections } from './requested-connections.js';
import { sidecarContainer } from './sidecar-container.js';
import { buildSidecarPodConfig, renderSidecarPodConfig } from './sidecar-pod-config.js';
import { isServiceAccountTokenVolume, isTokenMount } from './token-isolation.js';

/** The connections the pod may use, or why it is not an injected pod crewgate stands behind. */
export type VerifyInjectedPodResult = { ok: true; connections: string[] } | { ok: false; reason: string };

interface EphemeralContainer extends Container {
  targetContainerName?: string;
}

/** See the module comment. `pod` is the wire JSON (a V1Pod through JSON.stringify is fine). */
export function verifyInjectedPod(
  pod: Pod,
  namespace: NamespaceInfo,
  config: InjectionConfig,
  grants: InjectionGrants,
): VerifyInjectedPodResult {
  const no = (reason: string): VerifyInjectedPodResult => ({ ok: false, reason });
  const annotations = pod.metadata?.annotations ?? {};
  if (annotations[STATUS_ANNOTATION] !== STATUS_INJECTED)
    return no(`annotation ${STATUS_ANNOTATION}=${STATUS_INJECTED} is missing`);

  const initContainers = pod.spec.initContainers ?? [];
  const ephemeral = (pod.spec.ephemeralContainers ?? []) as EphemeralContainer[];
  const sidecars = initContainers.filter((c) => c.name === SIDECAR_CONTAINER);
  if (
    sidecars.length !== 1 ||
    [...pod.spec.containers, ...ephemeral].some((c) => c.name === SIDECAR_CONTAINER)
  )
    return no(`it must have exactly one ${SIDECAR_CONTAINER}, as an init container`);
  const sidecar = sidecars[0]!;

  const unmarked: Pod = {
    ...pod,
    metadata: {
      ...pod.metadata,
      annotations: Object.fromEntries(Object.entries(annotations).filter(([k]) => k !== STATUS_ANNOTATION)),
    },
    spec: { ...pod.spec, initContainers: initContainers.filter((c) => c !== sidecar) },
  };
  const selected = injectRequired(unmarked, namespace, config);
  if (!selected.inject) return no(`it is not selected for injection: ${selected.reason}`);
  const isolation = isolationProblem(pod);
  if (isolation !== undefined) return no(isolation);

  const resolved = resolveConnections(pod, grants);
  if (!resolved.ok) return no(resolved.message);

  const listeners = assignListenPorts(resolved.connections, [config.metricsPort, ...declaredPorts(unmarked)]);
  // The sidecar writes the agent's client files itself (env mode, kubernetes or ssh), into a volume.
  const clientConfig = needsClientConfig(config.mode, listeners);
  const containerDiff = differingFields(
    normalizeContainer(sidecar, config),
    normalizeContainer(sidecarContainer(config, clientConfig), config),
  );
  if (containerDiff.length > 0)
    return no(
      `its ${SIDECAR_CONTAINER} container is not the injector's (differs in ${containerDiff.join(', ')})`,
    );

  const expectedAnnotations: Record<string, string | undefined> = {
    [SIDECAR_CONFIG_ANNOTATION]: renderSidecarPodConfig(buildSidecarPodConfig(listeners, config)),
    [CONTROL_PLANE_CA_ANNOTATION]: config.controlPlaneCaBundle,
  };
  for (const [key, value] of Object.entries(expectedAnnotations)) {
    if (annotations[key] !== value) return no(`annotation ${key} is not the one the injector writes`);
  }

  const volumes = pod.spec.volumes ?? [];
  for (const expected of injectedVolumes(config, clientConfig)) {
    const actual = volumes.filter((v) => v.name === expected.name);
    if (actual.length !== 1 || !isDeepStrictEqual(normalizeVolume(actual[0]!), expected))
      return no(`volume ${expected.name} is not the one the injector adds`);
  }
  const otherTokenVolume = volumes.find((v) => v.name !== TOKEN_VOLUME && isServiceAccountTokenVolume(v));
  if (otherTokenVolume !== undefined)
    return no(`volume ${otherTokenVolume.name} carries a service-account token; only ${TOKEN_VOLUME} may`);
  if (pod.spec.automountServiceAccountToken !== false)
    return no('automountServiceAccountToken is not false, so the API token may reach other containers');

  const guarded = new Set([TOKEN_VOLUME, SPOOL_VOLUME]);
  for (const c of [...pod.spec.containers, ...initContainers, ...ephemeral]) {
    if (c === sidecar) continue;
    const mount = (c.volumeMounts ?? []).find((m) => isTokenMount(m, guarded));
    if (mount !== undefined)
      return no(
        `container ${c.name} mounts ${mount.name} at ${mount.mountPath}; only the sidecar may hold the token`,
      );
  }
  const prying = ephemeral.find((c) => c.targetContainerName === SIDECAR_CONTAINER);
  if (prying !== undefined)
    return no(
      `ephemeral container ${prying.name} targets ${SIDECAR_CONTAINER} and shares its process namespace`,
    );

  return { ok: true, connections: resolved.connections.map((c) => c.name) };
}

/** Fields the API server fills in on a stored container, with its default values. */
const CONTAINER_DEFAULTS: Record<string, unknown> = {
  terminationMessagePath: '/dev/termination-log',
  terminationMessagePolicy: 'File',
};
const PROBE_DEFAULTS: Record<string, unknown> = { timeoutSeconds: 1, successThreshold: 1 };

/** A container as compared: JSON form, resources dropped, API-server defaults removed. */
function normalizeContainer(container: Container, config: InjectionConfig): Record<string, unknown> {
  const json = JSON.parse(JSON.stringify(container)) as Record<string, unknown>;
  // Unset in the config, the API server picks a pull policy from the tag; any of them runs the same image.
  const c = withoutDefaults(json, {
    ...CONTAINER_DEFAULTS,
    resources: json.resources,
    ...(config.imagePullPolicy === undefined ? { imagePullPolicy: json.imagePullPolicy } : {}),
  });
  for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
    const p = c[probe] as Record<string, unknown> | undefined;
    if (p === undefined) continue;
    const stripped = withoutDefaults(p, PROBE_DEFAULTS);
    const http = stripped.httpGet as Record<string, unknown> | undefined;
    if (http !== undefined) stripped.httpGet = withoutDefaults(http, { scheme: 'HTTP' });
    c[probe] = stripped;
  }
  return c;
}

/** A volume as compared: JSON form, without the API server's defaults (projected mode, fieldRef version). */
function normalizeVolume(volume: Volume): Volume {
  const v = JSON.parse(JSON.stringify(volume)) as Volume & {
    downwardAPI?: { items?: { fieldRef?: { apiVersion?: string } }[] };
  };
  if (v.projected !== undefined && v.projected.defaultMode === 0o644) delete v.projected.defaultMode;
  for (const item of v.downwardAPI?.items ?? []) {
    if (item.fieldRef?.apiVersion === 'v1') delete item.fieldRef.apiVersion;
  }
  return v;
}

/** `object` without the members whose value equals the one given in `defaults`. */
function withoutDefaults(
  object: Record<string, unknown>,
  defaults: Record<string, unknown>,
): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(object).filter(
      ([k, v]) => !(Object.hasOwn(defaults, k) && isDeepStrictEqual(v, defaults[k])),
    ),
  );
}

function differingFields(actual: Record<string, unknown>, expected: Record<string, unknown>): string[] {
  const keys = new Set([...Object.keys(actual), ...Object.keys(expected)]);
  return [...keys].filter((k) => !isDeepStrictEqual(actual[k], expected[k])).sort();
}
