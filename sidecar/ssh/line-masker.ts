/**
 * Masks a byte stream (an SSH channel's stdout or stderr) by content detectors, a line at a time:
 * bytes are held until a newline, so a value a detector must see whole (a card number, an e-mail)
 * is never split between two scans. A line longer than the bound is scanned at the bound; a partial
 * line is scanned when the caller flushes (channel EOF, or a quiet terminal so a prompt appears).
 *
 * Binary output (a NUL byte or bytes that are not UTF-8) cannot be masked without corrupting it
 * and cannot be passed without leaking what a detector would have found, so it is reported, never
 * half-masked: the caller refuses the rest of the stream.
 */
import { isUtf8 } from 'node:buffer';
import type { Masker } from '../masking/index.js';

/** Bytes held at most before a line without a newline is scanned anyway. */
export const DEFAULT_MAX_LINE_BYTES = 64 * 1024;
const NEWLINE = 0x0a;

export type MaskedOutput = { binary: false; data: Buffer; maskedFields: number } | { binary: true };

const EMPTY: MaskedOutput = { binary: false, data: Buffer.alloc(0), maskedFields: 0 };

/** The last offset `<= end` that does not split a UTF-8 sequence (continuation bytes are 10xxxxxx). */
function utf8Boundary(bytes: Buffer, end: number): number {
  let cut = end;
  for (let back = 0; back < 4 && cut > 0 && cut < bytes.length; back++) {
    if (((bytes[cut] as number) & 0xc0) !== 0x80) break;
    cut--;
  }
  return cut;
}

export class LineMasker {
  private pending: Buffer = Buffer.alloc(0);
  private binary = false;

  constructor(
    private readonly masker: Masker,
    private readonly maxLineBytes: number = DEFAULT_MAX_LINE_BYTES,
  ) {}

  /** Bytes held, not yet scanned (for a quiet-terminal flush timer). */
  get held(): number {
    return this.pending.length;
  }

  /** Takes one chunk; returns the complete lines (masked) that may go out now. */
  push(chunk: Buffer): MaskedOutput {
    if (this.binary) return { binary: true };
    const bytes = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    // Only the new chunk can hold the last newline; the pending bytes had none.
    const inChunk = chunk.lastIndexOf(NEWLINE);
    let cut = inChunk < 0 ? -1 : bytes.length - chunk.length + inChunk + 1;
    if (cut < 0 && bytes.length >= this.maxLineBytes)
      cut = utf8Boundary(bytes, this.maxLineBytes) || this.maxLineBytes;
    if (cut <= 0) {
      this.pending = bytes;
      return EMPTY;
    }
    this.pending = bytes.subarray(cut);
    if (this.pending.length >= this.maxLineBytes) {
      // A chunk ending in a very long unterminated line: scan it now rather than hold it unbounded.
      const rest = this.pending;
      this.pending = Buffer.alloc(0);
      return this.scan(bytes.subarray(0, cut), rest);
    }
    return this.scan(bytes.subarray(0, cut));
  }

  /** Scans and returns whatever is held: at end of stream, or when a terminal has gone quiet. */
  flush(): MaskedOutput {
    if (this.binary) return { binary: true };
    if (this.pending.length === 0) return EMPTY;
    const bytes = this.pending;
    this.pending = Buffer.alloc(0);
    return this.scan(bytes);
  }

  private scan(...parts: Buffer[]): MaskedOutput {
    const out: Buffer[] = [];
    let maskedFields = 0;
    for (const bytes of parts) {
      if (bytes.includes(0) || !isUtf8(bytes)) {
        this.binary = true;
        this.pending = Buffer.alloc(0);
        return { binary: true };
      }
      const result = this.masker.maskText(bytes.toString('utf8'));
      maskedFields += result.maskedFields;
      out.push(result.maskedFields === 0 ? bytes : Buffer.from(result.text, 'utf8'));
    }
    return { binary: false, data: out.length === 1 ? (out[0] as Buffer) : Buffer.concat(out), maskedFields };
  }
}
