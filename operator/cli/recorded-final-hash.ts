/**
 * The copy of a session's final hash the operator keeps outside the store: the `SessionRecorded`
 * Event on the agent's pod (operator/control-plane/session-end.ts). `crewgate verify` compares the
 * store's chain with it, so deleting a session's trailing events (which leaves an intact, shorter
 * chain) is caught. Events expire with the API server's `--event-ttl`; after that the operator's
 * log line `session recorded` holds the hash, to pass as `--final-hash`.
 */
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import {
  EVENTS_ANNOTATION,
  FINAL_HASH_ANNOTATION,
  SESSION_ANNOTATION,
  SESSION_RECORDED_REASON,
} from '../control-plane/session-end.js';

export interface RecordedFinalHash {
  finalHash: string;
  events: number;
  /** `Event namespace/name on pod P`, for the verdict line. */
  where: string;
}

export class FinalHashConflict extends Error {
  override name = 'FinalHashConflict';
}

/** Loads a kubeconfig as kubectl does (`file`, else $KUBECONFIG, else ~/.kube/config). */
export function loadKubeConfig(file?: string, context?: string): KubeConfig {
  const config = new KubeConfig();
  if (file) config.loadFromFile(file);
  else config.loadFromDefault();
  if (context) config.setCurrentContext(context);
  return config;
}

/**
 * The final hash the operator recorded for `session`, or undefined when no Event is left. Looks in
 * `namespace`, or in every namespace the caller may list Events of. Two Events that disagree are a
 * `FinalHashConflict` (someone who may create Events wrote one): the auditor has to look.
 */
export async function recordedFinalHash(
  config: KubeConfig,
  session: string,
  namespace?: string,
): Promise<RecordedFinalHash | undefined> {
  const api = config.makeApiClient(CoreV1Api);
  const query = {
    fieldSelector: `reason=${SESSION_RECORDED_REASON}`,
    ...(/^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/.test(session)
      ? { labelSelector: `${SESSION_ANNOTATION}=${session}` }
      : {}),
  };
  const list = namespace
    ? await api.listNamespacedEvent({ namespace, ...query })
    : await api.listEventForAllNamespaces(query);
  const found = list.items
    .filter((e) => e.metadata.annotations?.[SESSION_ANNOTATION] === session)
    .map((e) => ({
      finalHash: e.metadata.annotations?.[FINAL_HASH_ANNOTATION] ?? '',
      events: Number(e.metadata.annotations?.[EVENTS_ANNOTATION]),
      where: `Event ${e.metadata.namespace}/${e.metadata.name} on pod ${e.involvedObject.name}`,
    }));
  const hashes = new Set(found.map((f) => f.finalHash));
  if (hashes.size > 1)
    throw new FinalHashConflict(
      `the SessionRecorded Events of ${session} disagree: ${found.map((f) => `${f.where}: ${f.finalHash}`).join('; ')}`,
    );
  return found[0];
}
