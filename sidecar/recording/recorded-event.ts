/**
 * The event as it is spooled, shipped and stored: a `SessionEvent` sealed into its session's hash
 * chain. Sealing is the only place an event gets its sequence number and `prevHash`, so the chain
 * is the same whether an event is read from the spool, from the store or from an export.
 */
import { createHash } from 'node:crypto';
import type { SessionEvent } from '../enforcement/recorder.js';
import { canonicalJson } from './canonical-json.js';

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
   * `canonicalJson(payload)` as UTF-8, when the event was read from its spool line (which holds
   * exactly those bytes): the store is sent them as they are instead of a second serialisation.
   */
  payloadBytes?: Buffer;
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
  return createHash('sha256').update(hashInput(e), 'utf8').digest('hex');
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
 * payload text the hash covers: the payload (for terminal output, all of its base64) is then
 * serialised once, not once for the hash and again for the spool.
 */
export function sealEventToLine(
  session: string,
  event: SessionEvent,
  time: Date,
  previous: Pick<RecordedEvent, 'seq' | 'hash' | 'sessionStarted'> | undefined,
  /** The event is plain JSON already (plainRedacted's output, a terminal chunk): skip the copy. */
  plain = false,
): { event: RecordedEvent; line: string } {
  const { type, ...rest } = event;
  // A terminal chunk is already plain JSON (strings and a number): skip the copy, which for big
  // output is two more passes over its base64.
  const payload =
    plain || type === 'terminal'
      ? (rest as Record<string, unknown>)
      : (JSON.parse(JSON.stringify(rest)) as Record<string, unknown>);
  return sealPayload(session, type, payload, canonicalJson(payload), time, previous);
}

const STREAM_JSON = { stdin: '"stdin"', stdout: '"stdout"', stderr: '"stderr"' } as const;

/**
 * `sealEventToLine` for terminal output given as bytes: the same event, hash and line as sealing
 * `{type: 'terminal', stream, data: base64(bytes), elapsedMs}`, but the payload's canonical JSON is
 * written out rather than computed: base64 needs no escaping (its alphabet has no quote, backslash
 * or control character), which saves a scan of every recorded byte.
 */
export function sealTerminalToLine(
  session: string,
  chunk: { stream: keyof typeof STREAM_JSON; bytes: Buffer; elapsedMs: number },
  time: Date,
  previous: Pick<RecordedEvent, 'seq' | 'hash' | 'sessionStarted'> | undefined,
): { event: RecordedEvent; line: string } {
  const stream = STREAM_JSON[chunk.stream];
  if (stream === undefined) throw new TypeError(`not a terminal stream: ${String(chunk.stream)}`);
  const data = chunk.bytes.toString('base64');
  const payloadJson = `{"data":"${data}","elapsedMs":${canonicalJson(chunk.elapsedMs)},"stream":${stream}}`;
  const payload = { data, elapsedMs: chunk.elapsedMs, stream: chunk.stream };
  return sealPayload(session, 'terminal', payload, payloadJson, time, previous);
}

/** Links a payload whose canonical JSON is `payloadJson` into the chain; the spool line is built from the same text. */
function sealPayload(
  session: string,
  type: SessionEvent['type'],
  payload: Record<string, unknown>,
  payloadJson: string,
  time: Date,
  previous: Pick<RecordedEvent, 'seq' | 'hash' | 'sessionStarted'> | undefined,
): { event: RecordedEvent; line: string } {
  const iso = time.toISOString();
  const seq = previous ? previous.seq + 1 : 0;
  const prevHash = previous ? previous.hash : ZERO_HASH;
  const sessionStarted = previous ? previous.sessionStarted : iso;
  const head = `,"prevHash":"${prevHash}","seq":${seq},"session":${JSON.stringify(session)},"time":"${iso}","type":${JSON.stringify(type)}`;
  // canonicalJson of {v, session, seq, time, type, payload, prevHash}: its keys in sorted order
  // (payload, prevHash, seq, session, time, type, v), written out; hashInput is the definition.
  const hash = createHash('sha256')
    .update(`{"payload":${payloadJson}${head},"v":${EVENT_FORMAT}}`, 'utf8')
    .digest('hex');
  return {
    event: { session, seq, sessionStarted, time: iso, type, payload, prevHash, hash },
    line: `{"payload":${payloadJson}${head},"sessionStarted":"${sessionStarted}","hash":"${hash}"}\n`,
  };
}

const LINE_START = Buffer.from('{"payload":');
const HEAD_START = Buffer.from(',"prevHash":"');
const LINE_END = Buffer.from(',"sessionStarted":"');
const HASH_SUFFIX = Buffer.from(`,"v":${EVENT_FORMAT}}`);
/** The fields `sealPayload` writes after the payload, in its order. */
const HEAD =
  /^,"prevHash":"([0-9a-f]{64})","seq":(\d+),"session":("(?:[^"\\]|\\.)*"),"time":"([^"]+)","type":"([a-z.]+)"$/;
const END = /^,"sessionStarted":"([^"]+)","hash":"([0-9a-f]{64})"\}$/;

/**
 * Reads the spool line `buffer[start, end)` (no newline) back into its event.
 *
 * A line in the form `sealPayload` writes whose hash is right is taken apart without decoding
 * its payload: `payloadBytes` is the payload's canonical JSON exactly as sealed (and hashed), for
 * the store, and `payload` is parsed only if something reads it. The hash (SHA-256 over the
 * payload's bytes and the small head, the check `crewgate verify` makes later) is what proves the
 * bytes are the sealed JSON, so the store is never sent a payload it would refuse; it costs less
 * than decoding and parsing the terminal output most lines carry, and allocates nothing the size
 * of it. Any other line (another key order, an edit, damage) is parsed as JSON as a whole:
 * `undefined` when that fails too (the torn tail of a crash).
 */
export function parseSpoolLine(buffer: Buffer, start = 0, end = buffer.length): RecordedEvent | undefined {
  const fast = sealedLine(buffer, start, end);
  if (fast) return fast;
  try {
    return JSON.parse(buffer.toString('utf8', start, end)) as RecordedEvent;
  } catch {
    return undefined;
  }
}

function sealedLine(buffer: Buffer, start: number, end: number): RecordedEvent | undefined {
  if (!buffer.subarray(start, start + LINE_START.length).equals(LINE_START)) return undefined;
  // The payload is the first member and the head follows it: a quote inside any string is
  // escaped, so the last `,"prevHash":"` and `,"sessionStarted":"` of the line are the head's.
  const lineEnd = buffer.lastIndexOf(LINE_END, end - LINE_END.length);
  const headStart = lineEnd < start ? -1 : buffer.lastIndexOf(HEAD_START, lineEnd);
  if (headStart < start + LINE_START.length) return undefined;
  const head = HEAD.exec(buffer.toString('utf8', headStart, lineEnd));
  const tail = END.exec(buffer.toString('latin1', lineEnd, end));
  if (!head || !tail) return undefined;
  const hash = createHash('sha256').update(buffer.subarray(start, lineEnd)).update(HASH_SUFFIX).digest('hex');
  if (hash !== tail[2]) return undefined;
  let session: string;
  try {
    session = JSON.parse(head[3]!) as string;
  } catch {
    return undefined;
  }
  const payloadBytes = buffer.subarray(start + LINE_START.length, headStart);
  let payload: Record<string, unknown> | undefined;
  const event = {
    session,
    seq: Number(head[2]),
    sessionStarted: tail[1]!,
    time: head[4]!,
    type: head[5] as SessionEvent['type'],
    prevHash: head[1]!,
    hash,
    payloadBytes,
  } as RecordedEvent;
  Object.defineProperty(event, 'payload', {
    enumerable: true,
    get: () => (payload ??= JSON.parse(payloadBytes.toString('utf8')) as Record<string, unknown>),
  });
  return event;
}
