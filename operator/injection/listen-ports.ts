/**
 * The sidecar's local port for each connection: 15432 for the first postgres, 16443 kubernetes,
 * 2222 ssh, 18080 http, one up for each further connection of a type. Ports the pod's own
 * containers declare, and the sidecar's metrics port, are skipped: every container of a pod shares
 * one network namespace, so two listeners on one port would fail at start-up.
 */
import { BASE_LISTEN_PORTS } from './constants.js';
import type { Pod } from './pod.js';
import type { RequestedConnection } from './requested-connections.js';

/** A connection with the loopback port the sidecar listens on for it. */
export interface Listener extends RequestedConnection {
  listenPort: number;
}

/** Assigns ports in the connections' order; deterministic for a given pod. */
export function assignListenPorts(
  connections: readonly RequestedConnection[],
  reserved: Iterable<number>,
): Listener[] {
  const taken = new Set(reserved);
  const next: Record<string, number> = { ...BASE_LISTEN_PORTS };
  return connections.map((c) => {
    let port = next[c.type] ?? BASE_LISTEN_PORTS[c.type];
    while (taken.has(port)) port++;
    taken.add(port);
    next[c.type] = port + 1;
    return { ...c, listenPort: port };
  });
}

/** Ports the pod's containers and init containers declare (`containerPort`). */
export function declaredPorts(pod: Pod): number[] {
  return [...pod.spec.containers, ...(pod.spec.initContainers ?? [])].flatMap((c) =>
    (c.ports ?? []).map((p) => p.containerPort),
  );
}
