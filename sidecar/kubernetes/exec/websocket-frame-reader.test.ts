import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { WebSocketFrameError, WebSocketFrameReader } from './websocket-frame-reader.js';

function frame(opcode: number, payload: Buffer, masked: boolean, fin = true): Buffer {
  const length = payload.length;
  const lengthBytes =
    length < 126
      ? Buffer.from([(masked ? 0x80 : 0) | length])
      : length < 65536
        ? Buffer.from([(masked ? 0x80 : 0) | 126, length >> 8, length & 0xff])
        : (() => {
            const b = Buffer.alloc(9);
            b[0] = (masked ? 0x80 : 0) | 127;
            b.writeBigUInt64BE(BigInt(length), 1);
            return b;
          })();
  const head = Buffer.concat([Buffer.from([(fin ? 0x80 : 0) | opcode]), lengthBytes]);
  if (!masked) return Buffer.concat([head, payload]);
  const mask = randomBytes(4);
  return Buffer.concat([head, mask, Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!))]);
}

describe('WebSocketFrameReader', () => {
  it('hands on the unmasked payload of data frames, skipping control frames, at every split', () => {
    const big = randomBytes(70_000);
    const bytes = Buffer.concat([
      frame(0x2, Buffer.from('SPDY bytes '), true, false),
      frame(0x9, Buffer.from('ping'), true),
      frame(0x0, Buffer.from('continued'), true),
      frame(0x2, Buffer.alloc(0), true),
      frame(0x2, big, true),
      frame(0x8, Buffer.from([0x03, 0xe8]), true),
    ]);
    const expected = Buffer.concat([Buffer.from('SPDY bytes continued'), big]);
    for (const cut of [0, 1, 2, 3, 7, 17, 30, 40, 100, bytes.length - 1]) {
      const out: Buffer[] = [];
      const reader = new WebSocketFrameReader((d) => out.push(d));
      reader.push(bytes.subarray(0, cut));
      reader.push(bytes.subarray(cut));
      expect(Buffer.concat(out).equals(expected)).toBe(true);
    }
    const out: Buffer[] = [];
    const reader = new WebSocketFrameReader((d) => out.push(d));
    for (let i = 0; i < 200; i++) reader.push(bytes.subarray(i, i + 1));
    reader.push(bytes.subarray(200));
    expect(Buffer.concat(out).equals(expected)).toBe(true);
  });

  it('reads unmasked server frames and refuses a frame over its bound', () => {
    const out: Buffer[] = [];
    new WebSocketFrameReader((d) => out.push(d)).push(frame(0x2, Buffer.from('from the server'), false));
    expect(Buffer.concat(out).toString()).toBe('from the server');
    expect(() =>
      new WebSocketFrameReader(() => undefined, 1024).push(frame(0x2, Buffer.alloc(2048), false)),
    ).toThrow(WebSocketFrameError);
  });
});
