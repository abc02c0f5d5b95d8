/**
 * Streaming masking for JSON lines (`application/x-ndjson`, `application/jsonl`): each line is a
 * JSON document of its own, so it can be masked with the shared `maskJson` as it arrives, and a
 * response of any length streams with only one line held at a time. A line longer than the bound,
 * or one that does not parse, ends the stream: what was sent is masked, nothing after it is sent
 * (headers are out by then, so the connection is cut rather than answered with an error).
 */
import { Transform, type TransformCallback } from 'node:stream';
import type { Masker } from '../masking/index.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

const JSON_LINES = new Set(['application/x-ndjson', 'application/jsonl', 'application/x-jsonlines']);

export function isJsonLinesMediaType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  return JSON_LINES.has((contentType.split(';')[0] ?? '').trim().toLowerCase());
}

export class JsonLinesMaskError extends Error {
  override name = 'JsonLinesMaskError';
}

export class JsonLinesMasker extends Transform {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  maskedFields = 0;

  constructor(
    private readonly masker: Masker,
    private readonly maxLineBytes: number,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl >= 0; nl = chunk.indexOf(10, start)) {
      const line = this.joinPending(chunk.subarray(start, nl));
      start = nl + 1;
      const error = this.emitLine(line);
      if (error) return done(error);
    }
    if (start < chunk.length) {
      this.pending.push(chunk.subarray(start));
      this.pendingBytes += chunk.length - start;
      if (this.pendingBytes > this.maxLineBytes)
        return done(new JsonLinesMaskError(`a JSON line is longer than ${this.maxLineBytes} bytes`));
    }
    done();
  }

  override _flush(done: TransformCallback): void {
    if (this.pendingBytes === 0) return done();
    const error = this.emitLine(this.joinPending(Buffer.alloc(0)), false);
    done(error);
  }

  private joinPending(tail: Buffer): Buffer {
    if (this.pending.length === 0) return tail;
    const line = Buffer.concat([...this.pending, tail]);
    this.pending = [];
    this.pendingBytes = 0;
    return line;
  }

  private emitLine(line: Buffer, newline = true): Error | undefined {
    if (line.length > this.maxLineBytes)
      return new JsonLinesMaskError(`a JSON line is longer than ${this.maxLineBytes} bytes`);
    let text: string;
    try {
      text = utf8.decode(line);
    } catch {
      return new JsonLinesMaskError('a line of the JSON-lines response is not UTF-8, so it cannot be masked');
    }
    if (text.trim() === '') {
      this.push(newline ? `${text}\n` : text);
      return undefined;
    }
    let document: unknown;
    try {
      document = JSON.parse(text);
    } catch {
      return new JsonLinesMaskError(
        'a line of the JSON-lines response does not parse, so it cannot be masked',
      );
    }
    const masked = this.masker.maskJson(document);
    this.maskedFields += masked.maskedFields;
    const out = masked.maskedFields === 0 ? text : JSON.stringify(masked.value);
    this.push(newline ? `${out}\n` : out);
    return undefined;
  }
}
