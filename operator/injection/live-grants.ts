/**
 * What a namespace's Connections and AccessPolicies grant, read from the API server now rather
 * than from an informer's cache: the admission webhook decides on it, and the control plane falls
 * back to it before refusing a sidecar, since a cache may not yet hold a Connection created
 * moments before the pod that uses it.
 */
import { GROUP, VERSION } from '../../crds/schemas/common.js';
import type { KubeClients } from '../kube/client.js';
import { grantsFromObjects, type ListedObject } from './grants-from-objects.js';
import type { InjectionGrants } from './grants.js';

async function listInNamespace(clients: KubeClients, plural: string, namespace: string) {
  const list = (await clients.custom.listNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    plural,
    namespace,
  })) as { items?: ListedObject[] };
  return list.items ?? [];
}

export async function liveGrants(clients: KubeClients, namespace: string): Promise<InjectionGrants> {
  const [connections, policies] = await Promise.all([
    listInNamespace(clients, 'connections', namespace),
    listInNamespace(clients, 'accesspolicies', namespace),
  ]);
  return grantsFromObjects(namespace, connections, policies);
}
