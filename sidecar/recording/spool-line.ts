/**
 * Reading spool lines back from the shipper's read buffer. Terminal output is most of what a
 * sidecar spools, so a line in the exact form `sealTerminalToLine` writes is taken apart on the
 * buffer: its base64 is never made a JavaScript string for JSON.parse, only the small rest of the
 * line is parsed, and the output goes to the store as its bytes, decoded where the base64 lay in
 * the read buffer (a view of it, no new external memory: see docs/recording.md on why that
 * matters). Every other line, and one that fails a check here, is parsed in full as before.
 *
 * What is checked is what makes the event the full parse would give, and a row the store takes:
 * the line's exact shape, and base64 that decodes back to the same text. The line's hash is not
 * recomputed: it would only decide which of the two ways a damaged line is read, both of which
 * give the same event (with its wrong hash, for `crewgate verify` to flag), and it cost 0.2 CPU s
 * per 256 MiB, most of what skipping the parse saves.
 */
import { SpoolError } from './errors.js';
import { parseSpoolLine, type RecordedEvent, type TerminalOutput } from './recorded-event.js';

/** Whether a read buffer still holds what was read into it (the spool reuses it: see SpoolBatch). */
export interface ReadLease {
  live: boolean;
  /** The spool's directory, for the error a late read gets. */
  dir: string;
}

const LINE_START = Buffer.from('{"payload":{"data":"', 'latin1');
/**
 * What follows the base64 in a terminal line, up to the end: the rest of the payload and the head
 * `seal` writes. Matched on the bytes as latin1 (one character per byte, so indices are offsets;
 * a UTF-8 sequence in the session id has no byte below 0x80, hence no quote or backslash).
 * `time` and `sessionStarted` are printable ASCII without quote or backslash (an ISO time is): a
 * backslash JSON.parse would unescape, and other bytes it would read as UTF-8, so such a line goes
 * the full way.
 */
const REST =
  /^","elapsedMs":(-?(?:0|[1-9]\d{0,15})),"stream":"(stdin|stdout|stderr)"\},"prevHash":"([0-9a-f]{64})","seq":(0|[1-9]\d{0,15}),"session":("(?:[^"\\]|\\.)*"),"time":"([ !#-[\]-~]+)","type":"terminal","sessionStarted":"([ !#-[\]-~]+)","hash":"([0-9a-f]{64})"\}$/d;
const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const EQUALS = 0x3d;

/**
 * Reads the spool line `buffer[start, end)` (no newline) back into its event; `undefined` for a
 * line that is not a whole JSON object (the torn tail of a crash), as parseSpoolLine.
 *
 * A line in `sealTerminalToLine`'s form whose `data` is standard padded base64 in its one
 * canonical spelling (what the store's event log gives back) comes back with `terminalOutput` set
 * and its `payload` made only when read. Such a line's base64 in `buffer` is overwritten with the
 * bytes it encodes: `terminalOutput.bytes` is a view of them, good while `lease` (if given) is live.
 */
export function readSpoolLine(
  buffer: Buffer,
  start: number,
  end: number,
  lease?: ReadLease,
): RecordedEvent | undefined {
  return readTerminalLine(buffer, start, end, lease) ?? parseSpoolLine(buffer.toString('utf8', start, end));
}

function readTerminalLine(
  buffer: Buffer,
  start: number,
  end: number,
  lease: ReadLease | undefined,
): RecordedEvent | undefined {
  if (
    end - start < LINE_START.length ||
    buffer.compare(LINE_START, 0, LINE_START.length, start, start + LINE_START.length) !== 0
  )
    return undefined;
  const dataStart = start + LINE_START.length;
  const dataEnd = buffer.indexOf(0x22, dataStart);
  if (dataEnd < 0 || dataEnd >= end) return undefined;
  const rest = buffer.toString('latin1', dataEnd, end);
  const m = REST.exec(rest);
  if (!m) return undefined;
  const [, elapsed, stream, prevHash, seq, , time, sessionStarted, hash] = m as unknown as string[];
  const elapsedMs = Number(elapsed);
  if (!Number.isSafeInteger(elapsedMs) || !Number.isSafeInteger(Number(seq))) return undefined;
  // The session id as UTF-8 from its own bytes (the latin1 text above would mangle a non-ASCII one).
  const [from, to] = m.indices![5]!;
  let session: unknown;
  try {
    session = JSON.parse(buffer.toString('utf8', dataEnd + from, dataEnd + to));
  } catch {
    return undefined;
  }
  // Last: it overwrites the base64, which a line that failed any check would still need.
  const bytes = decodeInPlace(buffer, dataStart, dataEnd);
  if (!bytes) return undefined;
  const terminalOutput: TerminalOutput = {
    bytes,
    payloadJson: `{"elapsedMs":${elapsed},"stream":"${stream}"}`,
  };
  let payload: Record<string, unknown> | undefined;
  const event = {
    session: session as string,
    seq: Number(seq),
    sessionStarted: sessionStarted!,
    time: time!,
    type: 'terminal',
    prevHash: prevHash!,
    hash: hash!,
  } as RecordedEvent;
  // The base64 string is made only for a consumer that reads the payload (tests, other stores).
  Object.defineProperty(event, 'payload', {
    enumerable: true,
    get: () => {
      if (payload) return payload;
      // Fail loudly rather than show what a later read put where the output was.
      if (lease && !lease.live)
        throw new SpoolError(
          'the payload of a shipped terminal event was read after the spool reused its read buffer (copy events to keep them: {...event})',
          lease.dir,
        );
      return (payload = { data: bytes.toString('base64'), elapsedMs, stream });
    },
  });
  Object.defineProperty(event, 'terminalOutput', { value: terminalOutput });
  return event;
}

/**
 * Decodes the base64 in `buffer[start, end)` over itself and returns a view of the bytes, if it is
 * standard padded base64 as `Buffer.toString('base64')` writes it (so the bytes encode back to the
 * same text); otherwise leaves the buffer as it was and returns undefined. Node's decoder skips
 * what is not in its alphabet and stops at padding, which a decoded length short of the text's
 * shows; it also takes the URL alphabet's `-` and `_`, and ignores the unused bits of the last
 * character, which are looked at on their own.
 */
function decodeInPlace(buffer: Buffer, start: number, end: number): Buffer | undefined {
  const length = end - start;
  if (length % 4 !== 0) return undefined;
  let padding = 0;
  if (length > 0 && buffer[end - 1] === EQUALS) padding = buffer[end - 2] === EQUALS ? 2 : 1;
  if (length > 0 && padding === 2 && buffer[end - 3] === EQUALS) return undefined;
  const region = buffer.subarray(start, end);
  if (region.indexOf(0x2d) >= 0 || region.indexOf(0x5f) >= 0) return undefined;
  if (padding > 0) {
    const last = BASE64.indexOf(String.fromCharCode(buffer[end - 1 - padding]!));
    if (last < 0 || (last & (padding === 1 ? 0b11 : 0b1111)) !== 0) return undefined;
  }
  const text = buffer.toString('latin1', start, end);
  const decoded = buffer.write(text, start, length, 'base64');
  if (decoded !== (length / 4) * 3 - padding) {
    buffer.write(text, start, length, 'latin1');
    return undefined;
  }
  return buffer.subarray(start, start + decoded);
}
