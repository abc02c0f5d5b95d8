/**
 * Reads SPDY/3 header blocks. Each direction of a connection compresses all its header blocks
 * with one zlib stream (primed with the SPDY/3 dictionary, sync-flushed after each block), so a
 * block can only be inflated after every earlier one of the same direction.
 *
 * Node's public zlib API has no synchronous streaming inflate, so the decoder keeps the
 * compressed blocks of its direction and inflates them again from the start with a sync flush,
 * taking the new tail. Exec opens five streams, so this is a few hundred bytes; a connection
 * that sends more than `maxCompressedBytes` of headers (port-forward with very many tunnels) stops
 * being decoded, which costs recording detail and nothing else.
 */
import { constants, inflateSync } from 'node:zlib';
import { SPDY3_HEADER_DICTIONARY } from './spdy-dictionary.js';

export type SpdyHeaders = Map<string, string[]>;

export class SpdyHeaderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SpdyHeaderError';
  }
}

/** Parses an inflated header block: a count, then length-prefixed name and NUL-separated values. */
export function parseHeaderBlock(block: Buffer): SpdyHeaders {
  const headers: SpdyHeaders = new Map();
  if (block.length < 4) throw new SpdyHeaderError('header block shorter than its count');
  const count = block.readUInt32BE(0);
  let offset = 4;
  const read = (): string => {
    if (offset + 4 > block.length) throw new SpdyHeaderError('header block truncated');
    const length = block.readUInt32BE(offset);
    offset += 4;
    if (offset + length > block.length) throw new SpdyHeaderError('header block truncated');
    const text = block.subarray(offset, offset + length).toString('utf8');
    offset += length;
    return text;
  };
  for (let i = 0; i < count; i++) {
    const name = read().toLowerCase();
    const values = read().split('\0');
    headers.set(name, [...(headers.get(name) ?? []), ...values]);
  }
  return headers;
}

export class SpdyHeaderDecoder {
  private readonly blocks: Buffer[] = [];
  private compressedBytes = 0;
  private inflatedBytes = 0;
  private broken = false;

  constructor(private readonly maxCompressedBytes = 256 * 1024) {}

  /** The headers of the next block of this direction, or undefined once decoding has given up. */
  decode(compressed: Buffer): SpdyHeaders | undefined {
    if (this.broken) return undefined;
    this.compressedBytes += compressed.length;
    if (this.compressedBytes > this.maxCompressedBytes) {
      this.broken = true;
      return undefined;
    }
    this.blocks.push(compressed);
    try {
      const all = inflateSync(Buffer.concat(this.blocks), {
        dictionary: SPDY3_HEADER_DICTIONARY,
        finishFlush: constants.Z_SYNC_FLUSH,
      });
      const block = all.subarray(this.inflatedBytes);
      this.inflatedBytes = all.length;
      return parseHeaderBlock(block);
    } catch {
      this.broken = true;
      return undefined;
    }
  }
}
