/**
 * The recording store's logins, from the Secret named in the operator's settings (in its own
 * namespace): the insert-only role sidecars write with, and optionally an administrator the
 * operator provisions the store with. Read when needed, never cached, so rotating the Secret applies
 * to the next sidecar that starts (and the next operator start).
 */
import { isNotFound, type KubeClients } from '../kube/client.js';

export const STORE_SECRET_KEYS = {
  sidecarUsername: 'sidecar-username',
  sidecarPassword: 'sidecar-password',
  adminUsername: 'admin-username',
  adminPassword: 'admin-password',
} as const;

export interface StoreLogins {
  sidecar: { user: string; password: string };
  admin?: { user: string; password: string };
}

export class StoreSecretError extends Error {
  override name = 'StoreSecretError';
}

export async function readStoreLogins(
  clients: KubeClients,
  namespace: string,
  secretName: string,
): Promise<StoreLogins> {
  let data: Record<string, string>;
  try {
    data = (await clients.core.readNamespacedSecret({ name: secretName, namespace })).data ?? {};
  } catch (error) {
    if (isNotFound(error))
      throw new StoreSecretError(`recording store Secret ${namespace}/${secretName} does not exist`);
    throw error;
  }
  const value = (key: string) =>
    data[key] === undefined ? undefined : Buffer.from(data[key], 'base64').toString('utf8');
  const user = value(STORE_SECRET_KEYS.sidecarUsername);
  const password = value(STORE_SECRET_KEYS.sidecarPassword);
  if (!user || password === undefined)
    throw new StoreSecretError(
      `recording store Secret ${namespace}/${secretName} needs the keys ${STORE_SECRET_KEYS.sidecarUsername} and ${STORE_SECRET_KEYS.sidecarPassword}`,
    );
  const adminUser = value(STORE_SECRET_KEYS.adminUsername);
  const adminPassword = value(STORE_SECRET_KEYS.adminPassword);
  return {
    sidecar: { user, password },
    ...(adminUser && adminPassword !== undefined
      ? { admin: { user: adminUser, password: adminPassword } }
      : {}),
  };
}
