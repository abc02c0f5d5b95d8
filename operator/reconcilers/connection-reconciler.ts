/**
 * Reconciles Connections: get; not found means done; read the referenced Secret; write the
 * conditions with observedGeneration; an Event when readiness changes (DESIGN.md §10, kubebuilder).
 */
import type { Logger } from 'pino';
import { API_VERSION, GROUP, VERSION } from '../../crds/schemas/common.js';
import type { ConnectionSpec, ConnectionStatus } from '../../crds/schemas/connection.js';
import type { ObjectKey, ReconcileResult } from '../controller/controller.js';
import { isNotFound, type KubeClients } from '../kube/client.js';
import type { EventRecorder } from '../kube/events.js';
import { sameConditions, setConditions } from './conditions.js';
import { connectionConditions } from './connection-status.js';
import type { TargetProbe } from './probe-target.js';

export interface ConnectionObject {
  apiVersion: string;
  kind: 'Connection';
  metadata: { name: string; namespace: string; generation?: number; uid?: string };
  spec: ConnectionSpec;
  status?: ConnectionStatus;
}

export interface ReconcilerDeps {
  clients: KubeClients;
  events: EventRecorder;
  logger: Logger;
  now?: () => Date;
}

export interface ConnectionReconcilerOptions {
  /** When set, the target is probed and `Reachable` written; reachability is re-checked this often. */
  probe?: { probe: TargetProbe; everyMs: number };
}

export async function readCustomObject<T>(
  clients: KubeClients,
  plural: string,
  key: ObjectKey,
): Promise<T | undefined> {
  try {
    return (await clients.custom.getNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      plural,
      namespace: key.namespace,
      name: key.name,
    })) as T;
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** Replaces `.status` through the status subresource (a JSON patch: add works whether or not it exists). */
export async function writeStatus(
  clients: KubeClients,
  plural: string,
  key: ObjectKey,
  status: unknown,
): Promise<void> {
  await clients.custom.patchNamespacedCustomObjectStatus({
    group: GROUP,
    version: VERSION,
    plural,
    namespace: key.namespace,
    name: key.name,
    body: [{ op: 'add', path: '/status', value: status }],
  });
}

export function connectionReconciler(deps: ReconcilerDeps, options: ConnectionReconcilerOptions = {}) {
  const now = deps.now ?? (() => new Date());
  return async (key: ObjectKey): Promise<ReconcileResult> => {
    const connection = await readCustomObject<ConnectionObject>(deps.clients, 'connections', key);
    if (!connection) return {};
    let secret: { data?: Record<string, string> } | undefined;
    try {
      secret = await deps.clients.core.readNamespacedSecret({
        name: connection.spec.credentialsRef.name,
        namespace: key.namespace,
      });
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    const generation = connection.metadata.generation ?? 0;
    const reachability = options.probe ? await options.probe.probe(connection.spec) : undefined;
    // A probed target can come and go without any object changing: look again later.
    const again = options.probe ? { requeueAfterMs: options.probe.everyMs } : {};
    const conditions = setConditions(
      connection.status?.conditions,
      connectionConditions(connection.spec, secret, reachability),
      generation,
      now(),
    );
    if (
      sameConditions(connection.status?.conditions, conditions) &&
      connection.status?.observedGeneration === generation
    )
      return again;
    await writeStatus(deps.clients, 'connections', key, { observedGeneration: generation, conditions });
    const ready = conditions.find((c) => c.type === 'Ready')!;
    const wasReady = connection.status?.conditions?.find((c) => c.type === 'Ready')?.status;
    if (wasReady !== ready.status) {
      await deps.events.emit(
        {
          apiVersion: API_VERSION,
          kind: 'Connection',
          namespace: key.namespace,
          name: key.name,
          uid: connection.metadata.uid,
        },
        ready.status === 'True' ? 'Normal' : 'Warning',
        ready.status === 'True' ? 'Ready' : ready.reason,
        ready.message ?? '',
      );
    }
    return again;
  };
}

/** Connections to requeue when a Secret changes: those in its namespace that name it. */
export function connectionsNamingSecret(
  connections: readonly ConnectionObject[],
  secret: { metadata?: { name?: string; namespace?: string } },
): string[] {
  return connections
    .filter(
      (c) =>
        c.metadata.namespace === secret.metadata?.namespace &&
        c.spec.credentialsRef.name === secret.metadata?.name,
    )
    .map((c) => `${c.metadata.namespace}/${c.metadata.name}`);
}
