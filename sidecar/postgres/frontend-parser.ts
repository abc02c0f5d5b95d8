/**
 * A stream-free parser for frontend messages, in the style of pg-protocol's backend parser: it is
 * given buffers as they arrive and returns the complete messages in them, keeping any partial
 * frame for the next call. Lengths are checked before a body is buffered, so a client announcing a
 * 2 GB message costs nothing but its connection.
 */
import {
  CANCEL_REQUEST_CODE,
  GSSENC_REQUEST_CODE,
  PROTOCOL_3_0,
  PROTOCOL_3_2,
  SSL_REQUEST_CODE,
  type FrontendMessage,
  type StartupPhaseMessage,
  type TypedMessage,
} from './frontend-messages.js';
import { PostgresProtocolError, SqlState } from './protocol-error.js';

/** PostgreSQL's own bound on a startup packet (MAX_STARTUP_PACKET_LENGTH in pqcomm.h). */
export const MAX_STARTUP_PACKET_BYTES = 10_000;
export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

export interface FrontendParserOptions {
  maxMessageBytes?: number;
}

class Reader {
  offset = 0;
  constructor(
    private readonly buffer: Buffer,
    private readonly what: string,
  ) {}

  private need(bytes: number): void {
    if (this.offset + bytes > this.buffer.length) {
      throw new PostgresProtocolError(`malformed ${this.what} message: truncated`);
    }
  }

  int16(): number {
    this.need(2);
    const value = this.buffer.readInt16BE(this.offset);
    this.offset += 2;
    return value;
  }

  int32(): number {
    this.need(4);
    const value = this.buffer.readInt32BE(this.offset);
    this.offset += 4;
    return value;
  }

  byte(): number {
    this.need(1);
    return this.buffer[this.offset++]!;
  }

  cstring(): string {
    const end = this.buffer.indexOf(0, this.offset);
    if (end < 0) throw new PostgresProtocolError(`malformed ${this.what} message: unterminated string`);
    const value = this.buffer.toString('utf8', this.offset, end);
    this.offset = end + 1;
    return value;
  }

  bytes(length: number): Buffer {
    this.need(length);
    const value = this.buffer.subarray(this.offset, this.offset + length);
    this.offset += length;
    return value;
  }

  rest(): Buffer {
    const value = this.buffer.subarray(this.offset);
    this.offset = this.buffer.length;
    return value;
  }

  end(): void {
    if (this.offset !== this.buffer.length) {
      throw new PostgresProtocolError(
        `malformed ${this.what} message: ${this.buffer.length - this.offset} trailing bytes`,
      );
    }
  }
}

function decodeStartupPhase(raw: Buffer): StartupPhaseMessage {
  const body = new Reader(raw.subarray(4), 'startup');
  const code = body.int32();
  switch (code) {
    case SSL_REQUEST_CODE:
      body.end();
      return { kind: 'SSLRequest', raw };
    case GSSENC_REQUEST_CODE:
      body.end();
      return { kind: 'GSSENCRequest', raw };
    case CANCEL_REQUEST_CODE: {
      const processId = body.int32();
      const secretKey = Buffer.from(body.rest());
      // 3.0 keys are 4 bytes; 3.2 allows up to 256.
      if (secretKey.length < 4 || secretKey.length > 256)
        throw new PostgresProtocolError('malformed CancelRequest: bad key length');
      return { kind: 'CancelRequest', raw, processId, secretKey };
    }
    case PROTOCOL_3_0:
    case PROTOCOL_3_2: {
      const parameters: Record<string, string> = {};
      for (;;) {
        const name = body.cstring();
        if (name === '') break;
        parameters[name] = body.cstring();
      }
      body.end();
      return { kind: 'StartupMessage', raw, protocolVersion: code, parameters };
    }
    default:
      throw new PostgresProtocolError(
        `unsupported frontend protocol ${code >>> 16}.${code & 0xffff}: server supports 3.0 to 3.2`,
        SqlState.featureNotSupported,
      );
  }
}

function target(byte: number, what: string): 'S' | 'P' {
  if (byte === 0x53) return 'S';
  if (byte === 0x50) return 'P';
  throw new PostgresProtocolError(`malformed ${what} message: target must be 'S' or 'P'`);
}

function decodeTyped(type: number, raw: Buffer): TypedMessage {
  const body = raw.subarray(5);
  switch (type) {
    case 0x51 /* Q */: {
      const r = new Reader(body, 'Query');
      const text = r.cstring();
      r.end();
      return { kind: 'Query', raw, text };
    }
    case 0x50 /* P */: {
      const r = new Reader(body, 'Parse');
      const statement = r.cstring();
      const text = r.cstring();
      const count = r.int16();
      if (count < 0) throw new PostgresProtocolError('malformed Parse message: negative parameter count');
      const parameterTypes: number[] = [];
      for (let i = 0; i < count; i++) parameterTypes.push(r.int32() >>> 0);
      r.end();
      return { kind: 'Parse', raw, statement, text, parameterTypes };
    }
    case 0x42 /* B */: {
      const r = new Reader(body, 'Bind');
      const portal = r.cstring();
      const statement = r.cstring();
      const formatCount = r.int16();
      if (formatCount < 0) throw new PostgresProtocolError('malformed Bind message: negative format count');
      const parameterFormats: number[] = [];
      for (let i = 0; i < formatCount; i++) parameterFormats.push(r.int16());
      const parameterCount = r.int16();
      if (parameterCount < 0)
        throw new PostgresProtocolError('malformed Bind message: negative parameter count');
      for (let i = 0; i < parameterCount; i++) {
        const length = r.int32();
        if (length < -1) throw new PostgresProtocolError('malformed Bind message: bad parameter length');
        if (length > 0) r.bytes(length);
      }
      const resultCount = r.int16();
      if (resultCount < 0)
        throw new PostgresProtocolError('malformed Bind message: negative result format count');
      const resultFormats: number[] = [];
      for (let i = 0; i < resultCount; i++) resultFormats.push(r.int16());
      r.end();
      return { kind: 'Bind', raw, portal, statement, parameterFormats, parameterCount, resultFormats };
    }
    case 0x44 /* D */: {
      const r = new Reader(body, 'Describe');
      const t = target(r.byte(), 'Describe');
      const name = r.cstring();
      r.end();
      return { kind: 'Describe', raw, target: t, name };
    }
    case 0x45 /* E */: {
      const r = new Reader(body, 'Execute');
      const portal = r.cstring();
      const maxRows = r.int32();
      r.end();
      return { kind: 'Execute', raw, portal, maxRows };
    }
    case 0x43 /* C */: {
      const r = new Reader(body, 'Close');
      const t = target(r.byte(), 'Close');
      const name = r.cstring();
      r.end();
      return { kind: 'Close', raw, target: t, name };
    }
    case 0x53 /* S */:
      new Reader(body, 'Sync').end();
      return { kind: 'Sync', raw };
    case 0x48 /* H */:
      new Reader(body, 'Flush').end();
      return { kind: 'Flush', raw };
    case 0x58 /* X */:
      new Reader(body, 'Terminate').end();
      return { kind: 'Terminate', raw };
    case 0x46 /* F */:
      return { kind: 'FunctionCall', raw, functionOid: new Reader(body, 'FunctionCall').int32() >>> 0 };
    case 0x64 /* d */:
      return { kind: 'CopyData', raw };
    case 0x63 /* c */:
      new Reader(body, 'CopyDone').end();
      return { kind: 'CopyDone', raw };
    case 0x66 /* f */: {
      const r = new Reader(body, 'CopyFail');
      const message = r.cstring();
      r.end();
      return { kind: 'CopyFail', raw, message };
    }
    case 0x70 /* p */:
      return { kind: 'Password', raw, payload: body };
    default:
      throw new PostgresProtocolError(
        `invalid frontend message type ${type} ('${String.fromCharCode(type)}')`,
      );
  }
}

export class FrontendParser {
  private pending: Buffer | undefined;
  private phase: 'startup' | 'typed' = 'startup';
  private readonly maxMessageBytes: number;

  constructor(options: FrontendParserOptions = {}) {
    this.maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  }

  /** After the StartupMessage every message carries a type byte (§55.2.1). */
  expectTypedMessages(): void {
    this.phase = 'typed';
  }

  get bufferedBytes(): number {
    return this.pending?.length ?? 0;
  }

  /**
   * Returns the complete messages in `chunk` plus what was left over from earlier calls.
   * Throws PostgresProtocolError on a malformed frame; the connection is unusable after that.
   */
  push(chunk: Buffer): FrontendMessage[] {
    const buffer = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = undefined;
    const messages: FrontendMessage[] = [];
    let offset = 0;
    for (;;) {
      const typed = this.phase === 'typed';
      const headerBytes = typed ? 5 : 4;
      if (buffer.length - offset < headerBytes) break;
      const length = buffer.readInt32BE(offset + (typed ? 1 : 0));
      const limit = typed ? this.maxMessageBytes : MAX_STARTUP_PACKET_BYTES;
      if (length < (typed ? 4 : 8)) throw new PostgresProtocolError(`invalid message length ${length}`);
      if (length > limit) {
        throw new PostgresProtocolError(
          `message of ${length} bytes exceeds the limit of ${limit} bytes`,
          typed ? SqlState.programLimitExceeded : SqlState.protocolViolation,
        );
      }
      const frameBytes = length + (typed ? 1 : 0);
      if (buffer.length - offset < frameBytes) break;
      const raw = buffer.subarray(offset, offset + frameBytes);
      offset += frameBytes;
      if (typed) {
        messages.push(decodeTyped(raw[0]!, raw));
      } else {
        const message = decodeStartupPhase(raw);
        messages.push(message);
        // A StartupMessage ends the untyped phase; SSL/GSS requests and cancels do not.
        if (message.kind === 'StartupMessage') this.phase = 'typed';
      }
    }
    if (offset < buffer.length) {
      // Copy the tail so the caller's (possibly large) chunk is not kept alive by a small remainder.
      this.pending = Buffer.from(buffer.subarray(offset));
    }
    return messages;
  }
}
