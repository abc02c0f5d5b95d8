/**
 * Masking of API server answers: a whole JSON document (get, list, Table), or a watch stream,
 * masked one event at a time as it arrives (a watch is never buffered). The API server writes a
 * JSON watch as one event object per line (`json.Encoder`), so lines are the frames. Anything
 * that does not parse is an error: the caller fails closed rather than pass it through unmasked.
 */
import { StringDecoder } from 'node:string_decoder';
import { Transform, type TransformCallback } from 'node:stream';
import type { Masker } from '../masking/index.js';

/** A response body that claimed to be JSON and is not, or a frame larger than the bound. */
export class UnmaskableBodyError extends Error {
  override name = 'UnmaskableBodyError';
}

/** Masks one JSON document; throws {@link UnmaskableBodyError} when it does not parse. */
export function maskJsonDocument(masker: Masker, body: Buffer): { body: Buffer; maskedFields: number } {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new UnmaskableBodyError(`the API server's JSON answer does not parse: ${(error as Error).message}`);
  }
  const masked = masker.maskJson(value);
  if (masked.maskedFields === 0) return { body, maskedFields: 0 };
  return { body: Buffer.from(JSON.stringify(masked.value)), maskedFields: masked.maskedFields };
}

/**
 * A Transform from a newline-delimited JSON stream (a watch) to the same stream masked. Each
 * complete line is one event; blank lines pass through. A line longer than `maxLineBytes` or one
 * that is not JSON errors the stream. `onMasked` is told how many fields each event had masked.
 */
export class WatchMasker extends Transform {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(
    private readonly masker: Masker,
    private readonly maxLineBytes: number,
    private readonly onMasked: (fields: number) => void = () => undefined,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      let start = 0;
      for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
        this.pending.push(chunk.subarray(start, nl));
        this.pendingBytes += nl - start;
        this.emitLine();
        start = nl + 1;
      }
      if (start < chunk.length) {
        this.pending.push(chunk.subarray(start));
        this.pendingBytes += chunk.length - start;
        if (this.pendingBytes > this.maxLineBytes)
          throw new UnmaskableBodyError(`a watch event is larger than ${this.maxLineBytes} bytes`);
      }
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      if (this.pendingBytes > 0) this.emitLine(false);
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  private emitLine(newline = true): void {
    const line = this.pending.length === 1 ? (this.pending[0] as Buffer) : Buffer.concat(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    if (line.length > this.maxLineBytes)
      throw new UnmaskableBodyError(`a watch event is larger than ${this.maxLineBytes} bytes`);
    if (line.toString('latin1').trim() === '') {
      this.push(newline ? Buffer.concat([line, NEWLINE]) : line);
      return;
    }
    const masked = maskJsonDocument(this.masker, line);
    this.onMasked(masked.maskedFields);
    this.push(newline ? Buffer.concat([masked.body, NEWLINE]) : masked.body);
  }
}

const NEWLINE = Buffer.from('\n');

/** Masks free text line by line (container logs), for `text/plain` answers. */
export class TextMasker extends Transform {
  private pending = '';
  /** Keeps a UTF-8 sequence split across chunks whole. */
  private readonly decoder = new StringDecoder('utf8');

  constructor(
    private readonly masker: Masker,
    private readonly maxLineBytes: number,
    private readonly onMasked: (fields: number) => void = () => undefined,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.pending += this.decoder.write(chunk);
    const nl = this.pending.lastIndexOf('\n');
    if (nl !== -1) {
      this.maskAndPush(this.pending.slice(0, nl + 1));
      this.pending = this.pending.slice(nl + 1);
    }
    if (this.pending.length > this.maxLineBytes) {
      callback(new UnmaskableBodyError(`a text line is longer than ${this.maxLineBytes} bytes`));
      return;
    }
    callback();
  }

  override _flush(callback: TransformCallback): void {
    this.pending += this.decoder.end();
    if (this.pending !== '') this.maskAndPush(this.pending);
    callback();
  }

  private maskAndPush(text: string): void {
    const masked = this.masker.maskText(text);
    this.onMasked(masked.maskedFields);
    this.push(Buffer.from(masked.text, 'utf8'));
  }
}
