/**
 * Backend (server to client) messages the proxy writes itself or must look inside (PostgreSQL
 * manual §55.7). Everything else from the server is relayed as framed bytes; messages whose
 * structure matters off the hot path (authentication, RowDescription, ErrorResponse) are decoded
 * with pg-protocol's parser.
 */
import { Parser } from 'pg-protocol/dist/parser.js';
import type { BackendMessage } from 'pg-protocol/dist/messages.js';
import type { SqlStateCode } from './protocol-error.js';

export type TransactionStatus = 'I' | 'T' | 'E';

export interface BackendFrame {
  type: number;
  raw: Buffer;
}

export const BackendType = {
  authentication: 0x52, // R
  parameterStatus: 0x53, // S
  backendKeyData: 0x4b, // K
  readyForQuery: 0x5a, // Z
  rowDescription: 0x54, // T
  dataRow: 0x44, // D
  commandComplete: 0x43, // C
  errorResponse: 0x45, // E
  noticeResponse: 0x4e, // N
  copyInResponse: 0x47, // G
  copyOutResponse: 0x48, // H
  copyBothResponse: 0x57, // W
  copyData: 0x64, // d
  copyDone: 0x63, // c
  emptyQueryResponse: 0x49, // I
  portalSuspended: 0x73, // s
} as const;

/** Splits the server's byte stream into frames; keeps a partial frame for the next chunk. */
export class BackendFramer {
  private pending: Buffer | undefined;

  constructor(private readonly maxMessageBytes = 1024 * 1024 * 1024) {}

  push(chunk: Buffer): BackendFrame[] {
    const buffer = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = undefined;
    const frames: BackendFrame[] = [];
    let offset = 0;
    while (buffer.length - offset >= 5) {
      const length = buffer.readInt32BE(offset + 1);
      if (length < 4 || length > this.maxMessageBytes)
        throw new Error(`server sent a message of invalid length ${length}`);
      if (buffer.length - offset < length + 1) break;
      frames.push({ type: buffer[offset]!, raw: buffer.subarray(offset, offset + length + 1) });
      offset += length + 1;
    }
    if (offset < buffer.length) this.pending = Buffer.from(buffer.subarray(offset));
    return frames;
  }
}

/** Decodes one complete backend frame with node-postgres's own parser. */
export function decodeBackend(frame: BackendFrame): BackendMessage {
  let decoded: BackendMessage | undefined;
  new Parser().parse(frame.raw, (message) => (decoded = message));
  if (!decoded) throw new Error(`could not decode backend message '${String.fromCharCode(frame.type)}'`);
  return decoded;
}

function message(type: number, body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(5 + body.length);
  out[0] = type;
  out.writeInt32BE(4 + body.length, 1);
  body.copy(out, 5);
  return out;
}

const cstring = (value: string) => Buffer.concat([Buffer.from(value, 'utf8'), Buffer.from([0])]);

export interface ErrorFields {
  severity: 'ERROR' | 'FATAL' | 'NOTICE' | 'WARNING' | 'INFO';
  code: SqlStateCode | string;
  message: string;
  detail?: string;
  hint?: string;
}

/** ErrorResponse / NoticeResponse: typed fields, each a code byte and a string (§55.8). */
function fields(f: ErrorFields): Buffer {
  const parts = [
    Buffer.from('S'),
    cstring(f.severity),
    Buffer.from('V'),
    cstring(f.severity),
    Buffer.from('C'),
    cstring(f.code),
    Buffer.from('M'),
    cstring(f.message),
  ];
  if (f.detail) parts.push(Buffer.from('D'), cstring(f.detail));
  if (f.hint) parts.push(Buffer.from('H'), cstring(f.hint));
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

export const encodeErrorResponse = (f: ErrorFields) => message(BackendType.errorResponse, fields(f));
export const encodeNoticeResponse = (
  f: Omit<ErrorFields, 'severity'> & { severity?: ErrorFields['severity'] },
) => message(BackendType.noticeResponse, fields({ severity: 'NOTICE', ...f }));
export const encodeReadyForQuery = (status: TransactionStatus) =>
  message(BackendType.readyForQuery, Buffer.from(status, 'latin1'));
export const encodeParameterStatus = (name: string, value: string) =>
  message(BackendType.parameterStatus, Buffer.concat([cstring(name), cstring(value)]));

export function encodeAuthentication(code: number): Buffer {
  const body = Buffer.alloc(4);
  body.writeInt32BE(code);
  return message(BackendType.authentication, body);
}
export const AuthenticationCode = { ok: 0, cleartextPassword: 3 } as const;

export function encodeBackendKeyData(processId: number, secretKey: Buffer): Buffer {
  const body = Buffer.alloc(4 + secretKey.length);
  body.writeInt32BE(processId);
  secretKey.copy(body, 4);
  return message(BackendType.backendKeyData, body);
}

export function readyForQueryStatus(frame: BackendFrame): TransactionStatus {
  return String.fromCharCode(frame.raw[5]!) as TransactionStatus;
}

/** CommandComplete's tag (`SELECT 5`, `UPDATE 1`...). */
export function commandTag(frame: BackendFrame): string {
  return frame.raw.toString('utf8', 5, frame.raw.length - 1);
}

/** A DataRow's fields as raw bytes (null for SQL NULL), without decoding them. */
export function splitDataRow(frame: BackendFrame): (Buffer | null)[] {
  const raw = frame.raw;
  const count = raw.readInt16BE(5);
  const values: (Buffer | null)[] = new Array(count);
  let offset = 7;
  for (let i = 0; i < count; i++) {
    const length = raw.readInt32BE(offset);
    offset += 4;
    if (length < 0) {
      values[i] = null;
    } else {
      values[i] = raw.subarray(offset, offset + length);
      offset += length;
    }
  }
  return values;
}

export function encodeDataRow(values: (Buffer | null)[]): Buffer {
  let size = 2;
  for (const v of values) size += 4 + (v ? v.length : 0);
  const out = Buffer.allocUnsafe(5 + size);
  out[0] = BackendType.dataRow;
  out.writeInt32BE(4 + size, 1);
  out.writeInt16BE(values.length, 5);
  let offset = 7;
  for (const v of values) {
    if (v === null) {
      out.writeInt32BE(-1, offset);
      offset += 4;
    } else {
      out.writeInt32BE(v.length, offset);
      offset += 4;
      v.copy(out, offset);
      offset += v.length;
    }
  }
  return out;
}
