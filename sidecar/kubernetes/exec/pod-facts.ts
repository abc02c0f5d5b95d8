/**
 * The target pod's facts a rule may match on before anyone gets a shell in it: whether any of its
 * containers runs privileged, whether it shares the node's PID, network or IPC namespace, and
 * which container the exec lands in. Read from the pod itself with the Connection's credentials,
 * so the agent cannot lie about them; a pod that cannot be read is no fact at all, and the exec
 * is refused (fail closed) rather than judged on guesses.
 */
import type { KubernetesUpstream } from '../upstream.js';

export interface PodFacts {
  privilegedPod: boolean;
  hostPID: boolean;
  hostNetwork: boolean;
  hostIPC: boolean;
  /** The container the request names, else the one the API server would pick. */
  container?: string;
}

export class PodLookupError extends Error {
  override name = 'PodLookupError';
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

interface ContainerLike {
  name?: unknown;
  securityContext?: { privileged?: unknown };
}
interface PodLike {
  metadata?: { annotations?: Record<string, unknown> };
  spec?: {
    hostPID?: unknown;
    hostNetwork?: unknown;
    hostIPC?: unknown;
    containers?: ContainerLike[];
    initContainers?: ContainerLike[];
    ephemeralContainers?: ContainerLike[];
  };
}

/** Pure: the facts of a pod object as the API server returned it. */
export function podFacts(pod: unknown, requestedContainer: string | undefined): PodFacts {
  const p = (pod ?? {}) as PodLike;
  const spec = p.spec ?? {};
  const all = [
    ...(spec.containers ?? []),
    ...(spec.initContainers ?? []),
    ...(spec.ephemeralContainers ?? []),
  ];
  const privilegedPod = all.some((c) => c?.securityContext?.privileged === true);
  const defaultAnnotation = p.metadata?.annotations?.['kubectl.kubernetes.io/default-container'];
  const first = spec.containers?.[0]?.name;
  const container =
    requestedContainer ??
    (typeof defaultAnnotation === 'string'
      ? defaultAnnotation
      : typeof first === 'string'
        ? first
        : undefined);
  return {
    privilegedPod,
    hostPID: spec.hostPID === true,
    hostNetwork: spec.hostNetwork === true,
    hostIPC: spec.hostIPC === true,
    ...(container !== undefined ? { container } : {}),
  };
}

/** GETs the pod through the upstream (the Connection's token, impersonating when configured). */
export async function lookUpPod(
  upstream: KubernetesUpstream,
  namespace: string,
  name: string,
  requestedContainer: string | undefined,
  signal?: AbortSignal,
): Promise<PodFacts> {
  const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(name)}`;
  let response;
  try {
    response = await upstream.request('GET', path, {
      maxBytes: 4 * 1024 * 1024,
      ...(signal ? { signal } : {}),
    });
  } catch (error) {
    throw new PodLookupError(
      `the pod ${namespace}/${name} could not be read: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (response.status !== 200) {
    let detail: string;
    try {
      detail = (JSON.parse(response.body.toString('utf8')) as { message?: string }).message ?? '';
    } catch {
      detail = '';
    }
    throw new PodLookupError(
      `the pod ${namespace}/${name} could not be read (HTTP ${response.status}${detail ? `: ${detail}` : ''})`,
      response.status,
    );
  }
  let pod: unknown;
  try {
    pod = JSON.parse(response.body.toString('utf8'));
  } catch {
    throw new PodLookupError(`the API server's answer for the pod ${namespace}/${name} is not JSON`);
  }
  return podFacts(pod, requestedContainer);
}
