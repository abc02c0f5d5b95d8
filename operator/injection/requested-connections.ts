/**
 * The connections a pod asks for (annotation `crewgate.dev/connections`), checked against what
 * exists and what the namespace's AccessPolicies grant to the pod's service account. A pod asking
 * for something it may not use is refused at creation, with every offending name in one message,
 * rather than started with a sidecar that will deny everything.
 */
import { CONNECTIONS_ANNOTATION } from './constants.js';
import type { ConnectionTarget, InjectionGrants } from './grants.js';
import { podDisplayName, podServiceAccount, type Pod } from './pod.js';

/** A connection the pod may use: its name and where it goes. */
export interface RequestedConnection extends ConnectionTarget {
  name: string;
}

/** Names from the annotation: split on commas, trimmed, empties dropped, first occurrence kept. */
export function parseConnectionsAnnotation(value: string | undefined): string[] {
  if (value === undefined) return [];
  const names = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  return [...new Set(names)];
}

/** The pod's connections in annotation order, or a refusal naming each problem. */
export function resolveConnections(
  pod: Pod,
  grants: InjectionGrants,
): { ok: true; connections: RequestedConnection[] } | { ok: false; message: string } {
  const who = `pod ${podDisplayName(pod)}`;
  const names = parseConnectionsAnnotation(pod.metadata?.annotations?.[CONNECTIONS_ANNOTATION]);
  if (names.length === 0) {
    return {
      ok: false,
      message:
        `crewgate refuses ${who}: it is selected for injection but its annotation ${CONNECTIONS_ANNOTATION} ` +
        `is missing or empty; list the Connections it uses, e.g. ${CONNECTIONS_ANNOTATION}: "reporting-db,prod-cluster"`,
    };
  }
  const serviceAccount = podServiceAccount(pod);
  const problems: string[] = [];
  const connections: RequestedConnection[] = [];
  for (const name of names) {
    const target = Object.hasOwn(grants.connections, name) ? grants.connections[name] : undefined;
    const unusable =
      grants.unusable && Object.hasOwn(grants.unusable, name) ? grants.unusable[name] : undefined;
    if (target === undefined) {
      problems.push(
        unusable !== undefined
          ? `Connection "${name}" cannot be used: ${unusable}`
          : `Connection "${name}" does not exist in the pod's namespace`,
      );
    } else if (!grants.grantedTo(name, serviceAccount)) {
      problems.push(`no AccessPolicy grants Connection "${name}" to service account "${serviceAccount}"`);
    } else {
      connections.push({ name, ...target });
    }
  }
  if (problems.length > 0) {
    return { ok: false, message: `crewgate refuses ${who}: ${problems.join('; ')}` };
  }
  return { ok: true, connections };
}
