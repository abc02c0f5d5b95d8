/**
 * A read-only, streaming RFC 6455 frame reader for one direction of a WebSocket connection that
 * is relayed as raw bytes (port-forward's `SPDY/3.1+portforward.k8s.io`: a subprotocol name `ws`
 * refuses, as `/` is not a token character, so that handshake passes through end to end). It
 * hands on the (unmasked) payload bytes of data frames as they arrive, without buffering whole
 * frames, so the SPDY stream inside can be read; control frames are skipped.
 */

export class WebSocketFrameError extends Error {
  override name = 'WebSocketFrameError';
}

export class WebSocketFrameReader {
  private header = Buffer.alloc(0);
  /** Payload bytes left in the current frame, or -1 while reading a header. */
  private remaining = -1;
  private mask: Buffer | undefined;
  private maskOffset = 0;
  private dataFrame = false;

  constructor(
    private readonly onPayload: (data: Buffer) => void,
    private readonly maxFrameBytes = 64 * 1024 * 1024,
  ) {}

  push(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.remaining < 0) {
        const need = this.headerLength();
        const take = Math.min(chunk.length - offset, Math.max(need, 2) - this.header.length);
        this.header = Buffer.concat([this.header, chunk.subarray(offset, offset + take)]);
        offset += take;
        if (this.header.length < 2 || this.header.length < this.headerLength()) continue;
        this.startFrame();
        continue;
      }
      const take = Math.min(chunk.length - offset, this.remaining);
      if (take > 0 && this.dataFrame) this.onPayload(this.unmask(chunk.subarray(offset, offset + take)));
      offset += take;
      this.remaining -= take;
      if (this.remaining === 0) this.remaining = -1;
    }
  }

  private headerLength(): number {
    if (this.header.length < 2) return 2;
    const length7 = this.header[1]! & 0x7f;
    const masked = (this.header[1]! & 0x80) !== 0;
    return 2 + (length7 === 126 ? 2 : length7 === 127 ? 8 : 0) + (masked ? 4 : 0);
  }

  private startFrame(): void {
    const h = this.header;
    const opcode = h[0]! & 0x0f;
    const length7 = h[1]! & 0x7f;
    let length: number;
    let at = 2;
    if (length7 === 126) {
      length = h.readUInt16BE(2);
      at = 4;
    } else if (length7 === 127) {
      const big = h.readBigUInt64BE(2);
      if (big > BigInt(this.maxFrameBytes))
        throw new WebSocketFrameError(`a ${big}-byte frame exceeds the bound`);
      length = Number(big);
      at = 10;
    } else length = length7;
    if (length > this.maxFrameBytes)
      throw new WebSocketFrameError(`a ${length}-byte frame exceeds the bound`);
    this.mask = (h[1]! & 0x80) !== 0 ? Buffer.from(h.subarray(at, at + 4)) : undefined;
    this.maskOffset = 0;
    this.dataFrame = opcode === 0x0 || opcode === 0x1 || opcode === 0x2;
    this.header = Buffer.alloc(0);
    this.remaining = length === 0 ? -1 : length;
  }

  private unmask(data: Buffer): Buffer {
    if (!this.mask) return data;
    const out = Buffer.allocUnsafe(data.length);
    for (let i = 0; i < data.length; i++) out[i] = data[i]! ^ this.mask[(this.maskOffset + i) % 4]!;
    this.maskOffset = (this.maskOffset + data.length) % 4;
    return out;
  }
}
