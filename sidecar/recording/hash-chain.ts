/**
 * Verifying a session's hash chain (DESIGN.md §7): recompute every event's hash from its content
 * and check that each event names its predecessor's hash. Pure, so the CLI, tests and any other
 * auditor tool share one definition of "this session was not altered".
 */
import { hashEvent, ZERO_HASH, type RecordedEvent } from './recorded-event.js';

export type ChainVerdict =
  | { ok: true; events: number; finalHash: string; complete: boolean }
  | { ok: false; events: number; brokenAt: number; reason: string };

/**
 * Checks `events` (one session's, in any order; they are sorted by seq). `complete` says whether
 * the chain ends in a `session.end` event; an incomplete chain can still be intact (the session is
 * open, or its sidecar died before the end was spooled).
 */
export function verifyChain(events: RecordedEvent[]): ChainVerdict {
  const sorted = [...events].sort((a, b) => a.seq - b.seq);
  if (sorted.length === 0) return { ok: false, events: 0, brokenAt: 0, reason: 'the session has no events' };
  let previousHash = ZERO_HASH;
  for (const [i, e] of sorted.entries()) {
    const fail = (reason: string): ChainVerdict => ({
      ok: false,
      events: sorted.length,
      brokenAt: e.seq,
      reason,
    });
    if (e.seq !== i)
      return {
        ok: false,
        events: sorted.length,
        brokenAt: i,
        reason: `event ${i} is missing (found seq ${e.seq} next)`,
      };
    if (e.prevHash !== previousHash)
      return fail(`prevHash ${e.prevHash} does not match the hash of event ${i - 1} (${previousHash})`);
    const recomputed = hashEvent(e);
    if (recomputed !== e.hash)
      return fail(`content does not match its recorded hash (recomputed ${recomputed}, recorded ${e.hash})`);
    previousHash = recomputed;
  }
  const last = sorted.at(-1);
  return { ok: true, events: sorted.length, finalHash: previousHash, complete: last?.type === 'session.end' };
}
