/**
 * The event as it is spooled, shipped and stored: a `SessionEvent` sealed into its session's hash
 * chain. Sealing is the only place an event gets its sequence number and `prevHash`, so the chain
 * is the same whether an event is read from the spool, from the store or from an export.
 */
import { hash as digest } from 'node:crypto';
import type { SessionEvent } from '../enforcement/recorder.js';
import { canonicalJson } from './canonical-json.js';
import { LineBuffer } from './line-buffer.js';
import { canonicalRedactedJson } from './redacted-canonical-json.js';
import { redactString } from './redact.js';

/** The `prevHash` of a session's first event: 64 zeros (SHA-256 is 32 bytes, hex). */
export const ZERO_HASH = '0'.repeat(64);

/** Version of the hashed form; bumped if the fields below ever change. */
export const EVENT_FORMAT = 1;

export interface RecordedEvent {
  /** The session id (the adapter's; a UUID for PostgreSQL). */
  session: string;
  /** 0 for the session's first event, then +1 per event, no gaps. */
  seq: number;
  /** ISO 8601 UTC time of the session's first event: the store's partition key. */
  sessionStarted: string;
  /** ISO 8601 UTC time the event was recorded, millisecond precision. */
  time: string;
  type: SessionEvent['type'];
  /** The event without its `type`, as a plain JSON value (undefined fields dropped). */
  payload: Record<string, unknown>;
  /** `hash` of the previous event of the session, or ZERO_HASH. */
  prevHash: string;
  /** SHA-256 (hex) of `hashInput(this)`. On the `session.end` event this is the session's final hash. */
  hash: string;
  /**
   * `canonicalJson(payload)`, when the event was read from its spool line (which holds that text):
   * the store is sent it as it is instead of a second serialisation of the payload.
   */
  payloadJson?: string;
  /**
   * Terminal output as the store keeps it, when the spool reader took the event from its line
   * without parsing the output (spool-line.ts): `bytes` the output (`payload.data` decoded),
   * `payloadJson` the canonical JSON of the payload without `data`.
   */
  terminalOutput?: TerminalOutput;
}

/** A terminal event's payload split as the store keeps it (see the event log in the store's migrations). */
export interface TerminalOutput {
  bytes: Buffer;
  payloadJson: string;
}

/**
 * The bytes an event's hash covers: the canonical JSON of
 * `{v, session, seq, time, type, payload, prevHash}` (see canonical-json.ts). `sessionStarted`
 * is left out: it is a storage key, and `time` of seq 0 carries the same fact inside the chain.
 */
export function hashInput(
  e: Pick<RecordedEvent, 'session' | 'seq' | 'time' | 'type' | 'payload' | 'prevHash'>,
): string {
  return canonicalJson({
    v: EVENT_FORMAT,
    session: e.session,
    seq: e.seq,
    time: e.time,
    type: e.type,
    payload: e.payload,
    prevHash: e.prevHash,
  });
}

export function hashEvent(
  e: Pick<RecordedEvent, 'session' | 'seq' | 'time' | 'type' | 'payload' | 'prevHash'>,
): string {
  return digest('sha256', hashInput(e), 'hex');
}

/** Seals `event` as the next link after `previous` (`undefined` for the session's first event). */
export function sealEvent(
  session: string,
  event: SessionEvent,
  time: Date,
  previous: Pick<RecordedEvent, 'seq' | 'hash' | 'sessionStarted'> | undefined,
): RecordedEvent {
  return sealEventToLine(session, event, time, previous).event;
}

/**
 * `sealEvent`, and the event's spool line (JSON, newline-terminated) built from the same canonical
 * payload text the hash covers. The reference form of sealing (no redaction): the recorder seals
 * with sealRedactedToLine and sealTerminalToLine, each tested byte-identical to this.
 */
export function sealEventToLine(
  session: string,
  event: SessionEvent,
  time: Date,
  previous: Pick<RecordedEvent, 'seq' | 'hash' | 'sessionStarted'> | undefined,
): { event: RecordedEvent; line: string } {
  const { type, ...rest } = event;
  const payload = JSON.parse(JSON.stringify(rest)) as Record<string, unknown>;
  const sealed = seal(session, type, canonicalJson(payload), time, previous);
  const { seq, hash, sessionStarted } = sealed.link;
  return {
    event: {
      session,
      seq,
      sessionStarted,
      time: sealed.time,
      type,
      payload,
      prevHash: sealed.prevHash,
      hash,
    },
    line: sealed.line,
  };
}

/** What a recorder keeps of a session's last event: all the next one's seal needs. */
export type ChainLink = Pick<RecordedEvent, 'seq' | 'hash' | 'sessionStarted'>;

const STREAM_JSON = { stdin: '"stdin"', stdout: '"stdout"', stderr: '"stderr"' } as const;

/**
 * Terminal output given as bytes, sealed to the same link and line as sealing
 * `{type: 'terminal', stream, data: base64(bytes), elapsedMs}` with sealEventToLine, written
 * straight into `out` (the recorder's batch of lines, see line-buffer.ts) and hashed there: the
 * payload's canonical JSON is written out rather than computed, since base64 needs no escaping (its
 * alphabet has no quote, backslash or control character) and no redaction pattern can match it.
 * The hashed form and the line share everything up to the head's end, so that prefix is written
 * once, hashed with the hashed form's ending, and the ending replaced by the line's.
 */
export function sealTerminalInto(
  out: LineBuffer,
  session: string,
  chunk: { stream: keyof typeof STREAM_JSON; bytes: Buffer; elapsedMs: number },
  time: Date,
  previous: ChainLink | undefined,
): ChainLink {
  const stream = STREAM_JSON[chunk.stream];
  if (stream === undefined) throw new TypeError(`not a terminal stream: ${String(chunk.stream)}`);
  const { seq, prevHash, sessionStarted, iso } = chainPosition(time, previous);
  // Everything that can throw (a non-finite elapsedMs) before the first byte is written.
  const rest = `","elapsedMs":${canonicalJson(chunk.elapsedMs)},"stream":${stream}}${lineHead(prevHash, seq, session, iso, '"terminal"')}`;
  const start = out.length;
  out.writeAscii('{"payload":{"data":"');
  out.writeAscii(chunk.bytes.toString('base64'));
  out.writeUtf8(rest);
  const headEnd = out.length;
  out.writeAscii(`,"v":${EVENT_FORMAT}}`);
  const hash = digest('sha256', out.from(start), 'hex');
  out.truncate(headEnd);
  out.writeAscii(`,"sessionStarted":"${sessionStarted}","hash":"${hash}"}\n`);
  return { seq, hash, sessionStarted };
}

/** sealTerminalInto, as a line of its own (tests, and callers that build lines one at a time). */
export function sealTerminalToLine(
  session: string,
  chunk: { stream: keyof typeof STREAM_JSON; bytes: Buffer; elapsedMs: number },
  time: Date,
  previous: ChainLink | undefined,
): { link: ChainLink; line: string } {
  const out = new LineBuffer(1024);
  const link = sealTerminalInto(out, session, chunk, time, previous);
  return { link, line: out.bytes().toString('utf8') };
}

/**
 * `sealEventToLine(session, JSON.parse(JSON.stringify(redactSecrets(event))), time, previous)` without building the
 * redacted copy: the payload's canonical text comes straight from `event` with every string
 * redacted on the way (canonicalRedactedJson), the same bytes, one walk instead of two. What the
 * spooling recorder uses for every event but terminal output (which needs no redaction scan).
 */
export function sealRedactedToLine(
  session: string,
  event: SessionEvent,
  time: Date,
  previous: ChainLink | undefined,
): { link: ChainLink; line: string } {
  const sealed = seal(
    session,
    redactString(event.type),
    canonicalRedactedJson(event, 'type'),
    time,
    previous,
  );
  return { link: sealed.link, line: sealed.line };
}

/** Where the next event of a chain goes: after `previous`, or first at `time`. */
function chainPosition(
  time: Date,
  previous: ChainLink | undefined,
): { seq: number; prevHash: string; sessionStarted: string; iso: string } {
  const iso = time.toISOString();
  return previous
    ? { seq: previous.seq + 1, prevHash: previous.hash, sessionStarted: previous.sessionStarted, iso }
    : { seq: 0, prevHash: ZERO_HASH, sessionStarted: iso, iso };
}

/**
 * What follows the payload in both the hashed form and the line: canonicalJson of
 * {v, session, seq, time, type, payload, prevHash} has its keys in sorted order (payload, prevHash,
 * seq, session, time, type, v), so the two share this; hashInput is the definition.
 */
function lineHead(prevHash: string, seq: number, session: string, iso: string, typeJson: string): string {
  return `,"prevHash":"${prevHash}","seq":${seq},"session":${JSON.stringify(session)},"time":"${iso}","type":${typeJson}`;
}

/** The hash over `{v, session, seq, time, type, payload, prevHash}` and the spool line, from the payload's canonical text. */
function seal(
  session: string,
  type: string,
  payloadJson: string,
  time: Date,
  previous: ChainLink | undefined,
): { link: ChainLink; time: string; prevHash: string; line: string } {
  const { seq, prevHash, sessionStarted, iso } = chainPosition(time, previous);
  const head = lineHead(prevHash, seq, session, iso, JSON.stringify(type));
  const hash = digest('sha256', `{"payload":${payloadJson}${head},"v":${EVENT_FORMAT}}`, 'hex');
  return {
    link: { seq, hash, sessionStarted },
    time: iso,
    prevHash,
    line: `{"payload":${payloadJson}${head},"sessionStarted":"${sessionStarted}","hash":"${hash}"}\n`,
  };
}

/** What every spool line `seal` writes ends with, after the payload. */
const LINE_TAIL =
  /^,"prevHash":"[0-9a-f]{64}","seq":\d+,"session":"(?:[^"\\]|\\.)*","time":"[^"]+","type":"[a-z.]+","sessionStarted":"[^"]+","hash":"[0-9a-f]{64}"\}$/;

/**
 * Reads one spool line back: the event, and the payload's JSON text exactly as it was sealed
 * (`payloadJson`) when the line has the form `seal` writes, so the shipper need not
 * serialise the payload again. `undefined` for a line that is not a whole JSON object (the torn
 * tail of a crash). The line is parsed in full either way: a line that parses is one the store
 * accepts, which a substring alone would not promise. (The shipper reads terminal output lines
 * without this parse, checked by their shape instead: spool-line.ts.)
 */
export function parseSpoolLine(line: string): RecordedEvent | undefined {
  let event: RecordedEvent;
  try {
    event = JSON.parse(line) as RecordedEvent;
  } catch {
    return undefined;
  }
  // The payload is the first member and the head follows it: a quote inside any string is
  // escaped, so the last `,"prevHash":"` of the line is the head's own.
  const tail = line.lastIndexOf(',"prevHash":"');
  if (line.startsWith('{"payload":') && tail > 0 && LINE_TAIL.test(line.slice(tail)))
    event.payloadJson = line.slice('{"payload":'.length, tail);
  return event;
}
