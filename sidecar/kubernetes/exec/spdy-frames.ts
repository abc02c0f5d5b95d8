/**
 * An incremental SPDY/3.1 frame splitter for the tee of an exec or port-forward connection. It
 * only reads: the relayed bytes are never altered, so a frame this parser does not understand is
 * still delivered to the peer, and recording simply sees less.
 *
 * Layout (draft-mbelshe-httpbis-spdy-00 §2.2): every frame has an 8-byte header whose first bit
 * says control (1) or data (0). A control frame carries a 15-bit version, a 16-bit type, 8 bits
 * of flags and a 24-bit length; a data frame a 31-bit stream id, 8 bits of flags and a 24-bit
 * length. The length counts the bytes after the header.
 */

export const SPDY_VERSION = 3;

/** Control frame types kubectl's SPDY streams use (§2.6). */
export const SpdyControlType = {
  SYN_STREAM: 1,
  SYN_REPLY: 2,
  RST_STREAM: 3,
  SETTINGS: 4,
  PING: 6,
  GOAWAY: 7,
  HEADERS: 8,
  WINDOW_UPDATE: 9,
} as const;

export const SPDY_FLAG_FIN = 0x01;

export type SpdyFrame =
  | { control: false; streamId: number; flags: number; data: Buffer }
  | { control: true; version: number; type: number; flags: number; payload: Buffer };

/** The stream a control frame names, for the frame types that name one (SYN_STREAM, SYN_REPLY, RST_STREAM, HEADERS, WINDOW_UPDATE). */
export function controlStreamId(frame: Extract<SpdyFrame, { control: true }>): number | undefined {
  switch (frame.type) {
    case SpdyControlType.SYN_STREAM:
    case SpdyControlType.SYN_REPLY:
    case SpdyControlType.RST_STREAM:
    case SpdyControlType.HEADERS:
    case SpdyControlType.WINDOW_UPDATE:
      return frame.payload.length >= 4 ? frame.payload.readUInt32BE(0) & 0x7fffffff : undefined;
    default:
      return undefined;
  }
}

/**
 * The compressed header block inside a SYN_STREAM (after stream id, associated id, priority and
 * slot: 10 bytes), SYN_REPLY or HEADERS (after the stream id: 4 bytes).
 */
export function headerBlockOf(frame: Extract<SpdyFrame, { control: true }>): Buffer | undefined {
  const offset =
    frame.type === SpdyControlType.SYN_STREAM
      ? 10
      : frame.type === SpdyControlType.SYN_REPLY || frame.type === SpdyControlType.HEADERS
        ? 4
        : undefined;
  if (offset === undefined || frame.payload.length < offset) return undefined;
  return frame.payload.subarray(offset);
}

export class SpdyFrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SpdyFrameError';
  }
}

/**
 * Splits a byte stream into frames, whatever the chunking. Keeps at most one partial frame; a
 * frame longer than `maxFrameBytes` is an error (the relay then stops recording, not relaying).
 */
export class SpdyFrameParser {
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly maxFrameBytes = 16 * 1024 * 1024) {}

  push(chunk: Buffer): SpdyFrame[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const frames: SpdyFrame[] = [];
    let offset = 0;
    while (this.pending.length - offset >= 8) {
      const length = this.pending.readUIntBE(offset + 5, 3);
      if (length > this.maxFrameBytes)
        throw new SpdyFrameError(`SPDY frame of ${length} bytes exceeds ${this.maxFrameBytes}`);
      if (this.pending.length - offset < 8 + length) break;
      const first = this.pending.readUInt32BE(offset);
      const flags = this.pending[offset + 4]!;
      // A view, not a copy: stream chunks are never reused, and the tap consumes frames at once.
      const body = this.pending.subarray(offset + 8, offset + 8 + length);
      if (first & 0x80000000) {
        const version = (first >>> 16) & 0x7fff;
        if (version !== SPDY_VERSION) throw new SpdyFrameError(`SPDY version ${version} is not 3`);
        frames.push({ control: true, version, type: first & 0xffff, flags, payload: body });
      } else {
        frames.push({ control: false, streamId: first & 0x7fffffff, flags, data: body });
      }
      offset += 8 + length;
    }
    this.pending = offset === 0 ? this.pending : this.pending.subarray(offset);
    return frames;
  }

  /** Bytes of an unfinished frame held back. */
  get buffered(): number {
    return this.pending.length;
  }
}

/** Encodes a frame; used by tests and by nothing on the relay path (which never rewrites). */
export function encodeSpdyFrame(frame: SpdyFrame): Buffer {
  const body = frame.control ? frame.payload : frame.data;
  const header = Buffer.alloc(8);
  if (frame.control) {
    header.writeUInt32BE((0x80000000 | (SPDY_VERSION << 16) | frame.type) >>> 0, 0);
  } else {
    header.writeUInt32BE(frame.streamId & 0x7fffffff, 0);
  }
  header[4] = frame.flags;
  header.writeUIntBE(body.length, 5, 3);
  return Buffer.concat([header, body]);
}
