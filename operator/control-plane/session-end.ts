/**
 * `POST /v1/sessions/end`: a sidecar reports a session's final hash (tamper evidence, DESIGN.md §7).
 * The operator keeps that copy where neither the sidecar nor the recording store's admin can
 * rewrite it: its own log line and a Kubernetes Event `SessionRecorded` on the pod, which
 * `crewgate verify` reads back. Who the report is about is the verified token's pod, never the body.
 *
 * Volume: one Event per session (sessions, not commands), at most `perPodPerMinute` per pod so a
 * misbehaving sidecar cannot flood the API server; past that the hash is in the log only. Events
 * live as long as the API server's `--event-ttl` (1 h by default): the log is the lasting copy.
 */
import type { Logger } from 'pino';
import { z } from 'zod';
import type { KubeClients } from '../kube/client.js';
import type { SidecarIdentity } from './sidecar-identity.js';

export const SESSION_RECORDED_REASON = 'SessionRecorded';
export const SESSION_ANNOTATION = 'crewgate.dev/session';
export const FINAL_HASH_ANNOTATION = 'crewgate.dev/final-hash';
export const EVENTS_ANNOTATION = 'crewgate.dev/events';

export const SessionEndSchema = z.object({
  session: z.string().min(1).max(253),
  events: z.number().int().positive(),
  finalHash: z.string().regex(/^[0-9a-f]{64}$/, 'a hex SHA-256'),
});
export type SessionEnd = z.infer<typeof SessionEndSchema>;

/** A label value (63 characters, alphanumeric ends): UUID session ids fit, and are then selectable. */
const LABEL_VALUE = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

export class SessionEndError extends Error {
  override name = 'SessionEndError';
}

export interface SessionEndDeps {
  clients: KubeClients;
  logger: Logger;
  now: () => Date;
  perPodPerMinute?: number;
}

/** Returns the handler; it keeps the per-pod rate windows. */
export function sessionEndRecorder(deps: SessionEndDeps) {
  const limit = deps.perPodPerMinute ?? 300;
  const windows = new Map<string, { start: number; count: number }>();
  return async (who: SidecarIdentity, body: unknown): Promise<{ event: boolean }> => {
    const parsed = SessionEndSchema.safeParse(body);
    if (!parsed.success) throw new SessionEndError(`bad session end: ${z.prettifyError(parsed.error)}`);
    const { session, events, finalHash } = parsed.data;
    const pod = who.pod.metadata?.name ?? '';
    const key = `${who.namespace}/${pod}`;
    deps.logger.info(
      { namespace: who.namespace, pod, serviceAccount: who.serviceAccount, session, events, finalHash },
      'session recorded',
    );
    const at = deps.now();
    const window = windows.get(key);
    if (!window || at.getTime() - window.start >= 60_000) {
      if (windows.size > 10_000) windows.clear();
      windows.set(key, { start: at.getTime(), count: 1 });
    } else if (++window.count > limit) {
      deps.logger.warn(
        { namespace: who.namespace, pod, session },
        'session-end Events rate-limited; log only',
      );
      return { event: false };
    }
    await deps.clients.core.createNamespacedEvent({
      namespace: who.namespace,
      body: {
        metadata: {
          generateName: `${pod}.session-`,
          namespace: who.namespace,
          ...(LABEL_VALUE.test(session) ? { labels: { [SESSION_ANNOTATION]: session } } : {}),
          annotations: {
            [SESSION_ANNOTATION]: session,
            [FINAL_HASH_ANNOTATION]: finalHash,
            [EVENTS_ANNOTATION]: String(events),
          },
        },
        involvedObject: {
          apiVersion: 'v1',
          kind: 'Pod',
          namespace: who.namespace,
          name: pod,
          uid: who.pod.metadata?.uid,
        },
        type: 'Normal',
        reason: SESSION_RECORDED_REASON,
        message: `session ${session} recorded: ${events} events, final hash ${finalHash}`,
        source: { component: 'crewgate-operator' },
        firstTimestamp: at,
        lastTimestamp: at,
        count: 1,
      },
    });
    return { event: true };
  };
}
