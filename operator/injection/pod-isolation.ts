/**
 * Pod settings that would let another container of the pod reach into the sidecar's process: its
 * memory (`/proc/<pid>/mem`), its environment (`/proc/<pid>/environ`) and open files hold the
 * credentials it fetched for a session, so a pod where the agent can see the sidecar's processes
 * cannot be proxied safely and is refused rather than injected (DESIGN.md §8, fail closed).
 *
 * What is refused, and why:
 * - `shareProcessNamespace: true`: every container sees every other container's processes; the
 *   agent (same UID or root) can read the sidecar's /proc entries.
 * - `hostPID: true`: the pod sees every process of the node, the sidecar's included.
 * - a `privileged` container: device access to the node's memory and disks (where the kubelet
 *   keeps the sidecar's projected token) and every capability.
 *
 * What is not refused, and why: a container running as the sidecar's UID cannot ptrace it, because
 * without a shared PID namespace it cannot see the sidecar's processes at all, and the sidecar's
 * files (token, spool) are on volumes only the sidecar mounts. hostIPC shares SysV IPC with the
 * node, not with the sidecar, which keeps nothing there. hostPath volumes and added capabilities are
 * node-level escapes that Pod Security Admission's `baseline` level refuses; docs/threat-model.md
 * tells platform teams to enforce it on agent namespaces. hostNetwork is refused by injectRequired.
 */
import type { Container, Pod } from './pod.js';

/** Why the pod breaks the sidecar's process isolation, or undefined when it does not. */
export function isolationProblem(pod: Pod): string | undefined {
  const why = 'the agent could read the sidecar’s memory and /proc/<pid>/environ, where credentials live';
  if (pod.spec.shareProcessNamespace === true)
    return `it sets shareProcessNamespace: true, so ${why}; remove it`;
  if (pod.spec.hostPID === true) return `it sets hostPID: true, so ${why}; remove it`;
  const containers: Container[] = [...(pod.spec.initContainers ?? []), ...pod.spec.containers];
  const privileged = containers.find(
    (c) => (c.securityContext as { privileged?: unknown } | undefined)?.privileged === true,
  );
  if (privileged !== undefined)
    return `container ${privileged.name} is privileged, so ${why} (through the node's devices); remove privileged: true`;
  return undefined;
}
