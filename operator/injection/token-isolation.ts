/**
 * Takes the Kubernetes API token away from every container but the sidecar (DESIGN.md §8): a
 * compromised agent must be able neither to read a Secret nor to talk to the control plane.
 *
 * A token reaches a container through a volume: the `kube-api-access-*` projected volume the
 * ServiceAccount admission plugin adds, or any projected volume with a `serviceAccountToken` source
 * the pod author wrote (without an audience such a token is valid for the API server itself; with
 * audience `crewgate` it would pass for the sidecar). All such volumes are removed, and so is every
 * mount at the well-known token path, whatever volume backs it. `automountServiceAccountToken: false`
 * stops the plugin from adding the volume back on re-invocation.
 */
import { KUBE_API_ACCESS_PREFIX, SERVICE_ACCOUNT_TOKEN_PATH } from './constants.js';
import type { Pod, Volume, VolumeMount } from './pod.js';

/** A volume that carries a service-account token. */
export function isServiceAccountTokenVolume(volume: Volume): boolean {
  if (volume.projected === undefined) return false;
  if (volume.name.startsWith(KUBE_API_ACCESS_PREFIX)) return true;
  return (volume.projected.sources ?? []).some((s) => s.serviceAccountToken !== undefined);
}

/** Indices in `spec.volumes` of the token volumes. */
export function tokenVolumeIndices(pod: Pod): number[] {
  return (pod.spec.volumes ?? []).flatMap((v, i) => (isServiceAccountTokenVolume(v) ? [i] : []));
}

/** Names of the token volumes. */
export function tokenVolumeNames(pod: Pod): Set<string> {
  return new Set((pod.spec.volumes ?? []).filter(isServiceAccountTokenVolume).map((v) => v.name));
}

/** A mount at (or under) the token path, or of a token volume. */
export function isTokenMount(mount: VolumeMount, tokenVolumes: ReadonlySet<string>): boolean {
  if (tokenVolumes.has(mount.name)) return true;
  const path = mount.mountPath.replace(/\/+$/, '');
  return path === SERVICE_ACCOUNT_TOKEN_PATH || path.startsWith(`${SERVICE_ACCOUNT_TOKEN_PATH}/`);
}

/** Indices of a container's token mounts. */
export function tokenMountIndices(
  mounts: readonly VolumeMount[] | undefined,
  tokenVolumes: ReadonlySet<string>,
): number[] {
  return (mounts ?? []).flatMap((m, i) => (isTokenMount(m, tokenVolumes) ? [i] : []));
}
