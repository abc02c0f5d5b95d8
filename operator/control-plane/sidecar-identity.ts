/**
 * Who is calling the control plane: a sidecar proves itself with its pod-bound projected token
 * (audience `crewgate`). The API server's TokenReview says whether the token is valid and which pod
 * it is bound to; the operator then checks that pod is alive, is the same pod (UID), and is what the
 * injector produces for it NOW (`verifyInjectedPod`: the sidecar container, the token volume mounted
 * into the sidecar alone, still selected, its connections still granted) — not merely annotated so:
 * anyone who may create pods can write the annotation. Sidecars hold no RBAC of their own: this is
 * the whole of their authority (DESIGN.md §2, §8).
 */
import type { V1Pod } from '@kubernetes/client-node';
import { grantsFromObjects } from '../injection/grants-from-objects.js';
import type { InjectionGrants } from '../injection/grants.js';
import { liveGrants } from '../injection/live-grants.js';
import type { InjectionConfig } from '../injection/injection-config.js';
import type { Pod } from '../injection/pod.js';
import { verifyInjectedPod } from '../injection/verify-injected-pod.js';
import { isNotFound, type KubeClients } from '../kube/client.js';
import type { ClusterState } from './cluster-state.js';

export const SIDECAR_AUDIENCE = 'crewgate';
export const INJECTED_ANNOTATION = 'crewgate.dev/status';
export const CONNECTIONS_ANNOTATION = 'crewgate.dev/connections';

export interface SidecarIdentity {
  namespace: string;
  serviceAccount: string;
  pod: V1Pod;
  /** Connections the pod was admitted with. */
  connections: string[];
}

export class SidecarAuthError extends Error {
  override name = 'SidecarAuthError';
  constructor(
    message: string,
    readonly status: 401 | 403 = 401,
  ) {
    super(message);
  }
}

export function podConnections(pod: V1Pod): string[] {
  return [
    ...new Set(
      (pod.metadata?.annotations?.[CONNECTIONS_ANNOTATION] ?? '')
        .split(',')
        .map((c) => c.trim())
        .filter(Boolean),
    ),
  ];
}

/** What the check of the token's pod compares against: the operator's injection config and its caches. */
export interface SidecarVerification {
  injection: InjectionConfig;
  state: Pick<ClusterState, 'connections' | 'accessPolicies'>;
}

export async function authenticateSidecar(
  clients: KubeClients,
  token: string | undefined,
  verification: SidecarVerification,
): Promise<SidecarIdentity> {
  if (!token) throw new SidecarAuthError('a bearer token is required');
  const review = await clients.authentication.createTokenReview({
    body: { spec: { token, audiences: [SIDECAR_AUDIENCE] } },
  });
  const status = review.status;
  if (!status?.authenticated || !status.user?.username)
    throw new SidecarAuthError(`token refused: ${status?.error ?? 'not authenticated'}`);
  if (!(status.audiences ?? []).includes(SIDECAR_AUDIENCE))
    throw new SidecarAuthError(`token is not for audience ${SIDECAR_AUDIENCE}`);
  const match = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(status.user.username);
  if (!match) throw new SidecarAuthError('only service-account tokens are accepted', 403);
  const [, namespace, serviceAccount] = match as unknown as [string, string, string];
  const podName = status.user.extra?.['authentication.kubernetes.io/pod-name']?.[0];
  const podUid = status.user.extra?.['authentication.kubernetes.io/pod-uid']?.[0];
  if (!podName || !podUid) throw new SidecarAuthError('token is not bound to a pod', 403);

  let pod: V1Pod;
  try {
    pod = await clients.core.readNamespacedPod({ name: podName, namespace });
  } catch (error) {
    if (isNotFound(error)) throw new SidecarAuthError(`pod ${namespace}/${podName} no longer exists`, 403);
    throw error;
  }
  if (pod.metadata?.uid !== podUid)
    throw new SidecarAuthError(`pod ${namespace}/${podName} was replaced (UID differs)`, 403);
  if (
    pod.metadata?.deletionTimestamp ||
    pod.status?.phase === 'Succeeded' ||
    pod.status?.phase === 'Failed'
  ) {
    throw new SidecarAuthError(`pod ${namespace}/${podName} is not running`, 403);
  }
  if ((pod.spec?.serviceAccountName ?? 'default') !== serviceAccount)
    throw new SidecarAuthError('service account does not match the pod', 403);
  const namespaceObject = await clients.core.readNamespace({ name: namespace });
  const { state, injection } = verification;
  const verify = (grants: InjectionGrants) =>
    verifyInjectedPod(
      JSON.parse(JSON.stringify(pod)) as Pod,
      { name: namespace, labels: namespaceObject.metadata?.labels },
      injection,
      grants,
    );
  let verdict = verify(
    grantsFromObjects(namespace, state.connections.list(namespace), state.accessPolicies.list(namespace)),
  );
  // The caches may not yet hold a Connection or AccessPolicy created just before the pod (the
  // webhook that admitted it read the API server): ask the API server before refusing.
  if (!verdict.ok) verdict = verify(await liveGrants(clients, namespace));
  if (!verdict.ok)
    throw new SidecarAuthError(
      `pod ${namespace}/${podName} was not injected by crewgate: ${verdict.reason}`,
      403,
    );
  return { namespace, serviceAccount, pod, connections: verdict.connections };
}
