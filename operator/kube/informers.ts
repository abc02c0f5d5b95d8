/** Informers over crewgate's custom resources, all namespaces, from client-node's ListWatch. */
import {
  makeInformer,
  type Informer,
  type KubernetesListObject,
  type KubernetesObject,
  type ObjectCache,
} from '@kubernetes/client-node';
import { GROUP, VERSION } from '../../crds/schemas/common.js';
import type { KubeClients } from './client.js';

export function customResourceInformer<T extends KubernetesObject>(
  clients: KubeClients,
  plural: string,
): Informer<T> & ObjectCache<T> {
  return makeInformer<T>(
    clients.config,
    `/apis/${GROUP}/${VERSION}/${plural}`,
    async () =>
      (await clients.custom.listClusterCustomObject({
        group: GROUP,
        version: VERSION,
        plural,
      })) as KubernetesListObject<T>,
  );
}

/** Secrets in all namespaces: Connections name them, and a change must reach their status at once. */
export function secretInformer(
  clients: KubeClients,
): Informer<KubernetesObject> & ObjectCache<KubernetesObject> {
  return makeInformer<KubernetesObject>(
    clients.config,
    '/api/v1/secrets',
    async () => (await clients.core.listSecretForAllNamespaces()) as KubernetesListObject<KubernetesObject>,
  );
}
