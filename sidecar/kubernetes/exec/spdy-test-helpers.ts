/**
 * Builds SPDY/3.1 frames the way a real peer does (one zlib stream per direction, primed with the
 * dictionary, sync-flushed per header block), for the parser and tap tests.
 */
import { constants, createDeflate, type Deflate } from 'node:zlib';
import { SPDY3_HEADER_DICTIONARY } from './spdy-dictionary.js';
import { encodeSpdyFrame, SpdyControlType } from './spdy-frames.js';

export function headerBlock(headers: Record<string, string>): Buffer {
  const parts: Buffer[] = [];
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  const entries = Object.entries(headers);
  parts.push(u32(entries.length));
  for (const [name, value] of entries) {
    parts.push(
      u32(Buffer.byteLength(name)),
      Buffer.from(name),
      u32(Buffer.byteLength(value)),
      Buffer.from(value),
    );
  }
  return Buffer.concat(parts);
}

/** One direction's header compressor. */
export class SpdyHeaderEncoder {
  private readonly deflate: Deflate = createDeflate({ dictionary: SPDY3_HEADER_DICTIONARY });

  compress(block: Buffer): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const out: Buffer[] = [];
      const onData = (c: Buffer) => out.push(c);
      this.deflate.on('data', onData);
      this.deflate.once('error', reject);
      this.deflate.write(block);
      this.deflate.flush(constants.Z_SYNC_FLUSH, () => {
        this.deflate.off('data', onData);
        resolve(Buffer.concat(out));
      });
    });
  }

  close(): void {
    this.deflate.close();
  }
}

export async function synStream(
  encoder: SpdyHeaderEncoder,
  streamId: number,
  headers: Record<string, string>,
): Promise<Buffer> {
  const prefix = Buffer.alloc(10);
  prefix.writeUInt32BE(streamId, 0);
  const compressed = await encoder.compress(headerBlock(headers));
  return encodeSpdyFrame({
    control: true,
    version: 3,
    type: SpdyControlType.SYN_STREAM,
    flags: 0,
    payload: Buffer.concat([prefix, compressed]),
  });
}

export async function synReply(
  encoder: SpdyHeaderEncoder,
  streamId: number,
  headers: Record<string, string>,
): Promise<Buffer> {
  const prefix = Buffer.alloc(4);
  prefix.writeUInt32BE(streamId, 0);
  const compressed = await encoder.compress(headerBlock(headers));
  return encodeSpdyFrame({
    control: true,
    version: 3,
    type: SpdyControlType.SYN_REPLY,
    flags: 0,
    payload: Buffer.concat([prefix, compressed]),
  });
}

export function dataFrame(streamId: number, data: string | Buffer, flags = 0): Buffer {
  return encodeSpdyFrame({ control: false, streamId, flags, data: Buffer.from(data) });
}
