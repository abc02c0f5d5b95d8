/**
 * The four auditor commands (DESIGN.md §1, §7), each a function of a store reader, its options and
 * an output sink, returning the exit code; crewgate.ts only parses arguments and dispatches.
 */
import { canonicalJson } from '../../sidecar/recording/canonical-json.js';
import { verifyChain } from '../../sidecar/recording/hash-chain.js';
import type { SessionFilter, StoreReader } from './store-reader.js';
import { asciicast, frames, isTerminalSession, play } from './terminal-playback.js';
import { transcript } from './transcript.js';

export interface Output {
  line(text: string): void;
  raw(chunk: Buffer | string): void;
}

export async function sessionsCommand(
  reader: StoreReader,
  filter: SessionFilter,
  out: Output,
  json: boolean,
): Promise<number> {
  const sessions = await reader.sessions(filter);
  if (json) {
    for (const s of sessions) out.line(JSON.stringify(s));
    return 0;
  }
  out.line(['SESSION', 'STARTED', 'SUBJECT', 'CONNECTION', 'COMMANDS', 'DENIED', 'ENDED'].join('\t'));
  for (const s of sessions) {
    out.line(
      [
        s.session,
        s.started.toISOString(),
        s.subject ?? '-',
        s.connection ?? '-',
        s.commands,
        s.denied,
        s.ended ? (s.endReason ?? 'yes') : 'open',
      ].join('\t'),
    );
  }
  return 0;
}

export async function replayCommand(
  reader: StoreReader,
  id: string,
  options: { speed: number; wait: boolean; format: 'text' | 'asciicast' },
  out: Output,
): Promise<number> {
  const session = await reader.resolveSession(id);
  const events = await reader.events(session);
  if (options.format === 'asciicast') {
    out.raw(asciicast(events));
    return 0;
  }
  if (isTerminalSession(events)) {
    await play(frames(events), (chunk) => out.raw(chunk), {
      speed: options.speed,
      wait: options.wait,
      maxPauseMs: 5_000,
    });
    out.line('');
    out.line(`[session ${session}: ${events.length} events]`);
    return 0;
  }
  for (const l of transcript(events)) out.line(l);
  return 0;
}

export async function exportCommand(
  reader: StoreReader,
  range: { since: Date; until: Date },
  out: Output,
): Promise<number> {
  for await (const e of reader.eventsBetween(range.since, range.until)) out.line(canonicalJson(e));
  return 0;
}

/** Where the expected final hash came from, for the verdict line. */
export interface ExpectedFinal {
  finalHash: string;
  /** `--final-hash`, or the Event it was read from. */
  source: string;
}

export async function verifyCommand(
  reader: StoreReader,
  id: string,
  expected: ExpectedFinal | (() => Promise<ExpectedFinal | undefined>) | undefined,
  out: Output,
): Promise<number> {
  const session = await reader.resolveSession(id);
  const verdict = verifyChain(await reader.events(session));
  if (!verdict.ok) {
    out.line(
      `FAILED ${session}: the chain breaks at event ${verdict.brokenAt} of ${verdict.events}: ${verdict.reason}`,
    );
    return 1;
  }
  // Looked up only for a session in the store, and only once the chain itself holds.
  const expect = typeof expected === 'function' ? await expected() : expected;
  if (expect && expect.finalHash !== verdict.finalHash) {
    out.line(
      `FAILED ${session}: the final hash ${verdict.finalHash} is not the expected ${expect.finalHash} from ${expect.source} (events were removed from or added to the end)`,
    );
    return 1;
  }
  out.line(
    `OK ${session}: ${verdict.events} events, chain intact${verdict.complete ? '' : ' (no session.end: the session is open or its sidecar stopped before the end)'}, final hash ${verdict.finalHash}${expect ? ` matches ${expect.source}` : ''}`,
  );
  return 0;
}
