/**
 * The part of a body a recording keeps: at most a bound, masked for the caller the way the agent
 * saw it (the recording never holds more than the agent did), and text only: binary bodies are
 * summarised by size and type.
 */
import { isJsonMediaType } from '../classify/http/json-body.js';
import type { Masker } from '../masking/index.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

export interface BodyExcerpt {
  text: string;
  truncated: boolean;
}

/**
 * `bytes` are the first bytes of a body of `total` bytes. A complete JSON body is masked as JSON
 * (paths and detectors); a cut one only by detectors, as text.
 */
export function recordedBody(
  bytes: Buffer,
  total: number,
  contentType: string | undefined,
  masker: Masker,
  limit: number,
): BodyExcerpt | undefined {
  if (total === 0 || limit === 0) return undefined;
  const complete = bytes.length === total;
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    if (complete) return { text: `[${total} bytes of ${contentType ?? 'untyped'} data]`, truncated: false };
    // A cut may split a UTF-8 sequence; decode leniently, the excerpt is cut anyway.
    text = new TextDecoder('utf-8').decode(bytes);
    if (text.includes('\uFFFD\uFFFD'))
      return { text: `[${total} bytes of ${contentType ?? 'untyped'} data]`, truncated: true };
  }
  if (complete && masker.active && isJsonMediaType(contentType)) {
    try {
      text = JSON.stringify(masker.maskJson(JSON.parse(text.replace(/^\uFEFF/, ''))).value);
    } catch {
      text = masker.maskText(text).text;
    }
  } else if (masker.active) {
    text = masker.maskText(text).text;
  }
  const truncated = !complete || text.length > limit;
  return { text: truncated ? text.slice(0, limit) : text, truncated };
}

/** Keeps the first `limit` bytes of what passes through, and counts all of it. */
export class BodyCapture {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  total = 0;

  constructor(private readonly limit: number) {}

  add(chunk: Buffer): void {
    this.total += chunk.length;
    if (this.kept >= this.limit) return;
    const piece = chunk.length + this.kept > this.limit ? chunk.subarray(0, this.limit - this.kept) : chunk;
    this.chunks.push(piece);
    this.kept += piece.length;
  }

  bytes(): Buffer {
    return this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks, this.kept);
  }
}
