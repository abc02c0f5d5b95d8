import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SPDY3_HEADER_DICTIONARY } from './spdy-dictionary.js';
import { encodeSpdyFrame, SpdyFrameError, SpdyFrameParser, type SpdyFrame } from './spdy-frames.js';
import { SpdyHeaderDecoder } from './spdy-headers.js';
import { SpdyTap } from './spdy-tap.js';
import { dataFrame, SpdyHeaderEncoder, synReply, synStream } from './spdy-test-helpers.js';

describe('the SPDY/3 header dictionary', () => {
  it('is the 1,423 bytes of the spec (the same bytes moby/spdystream primes zlib with)', () => {
    expect(SPDY3_HEADER_DICTIONARY.length).toBe(1423);
    expect(createHash('sha256').update(SPDY3_HEADER_DICTIONARY).digest('hex')).toBe(
      '51d27341373f923f3cd88e1eb7162aeaa3723d7585ff2399201dc06498407f02',
    );
  });
});

async function kubectlLikeClientBytes(): Promise<{ bytes: Buffer; encoder: SpdyHeaderEncoder }> {
  const encoder = new SpdyHeaderEncoder();
  const frames = [
    await synStream(encoder, 1, { streamtype: 'error' }),
    await synStream(encoder, 3, { streamtype: 'stdin' }),
    await synStream(encoder, 5, { streamtype: 'stdout' }),
    await synStream(encoder, 7, { streamtype: 'stderr' }),
    dataFrame(3, 'echo hello\n'),
    encodeSpdyFrame({ control: true, version: 3, type: 6, flags: 0, payload: Buffer.from([0, 0, 0, 1]) }),
    dataFrame(3, 'exit 3\n', 1),
  ];
  return { bytes: Buffer.concat(frames), encoder };
}

describe('SpdyFrameParser', () => {
  it('yields the same frames however the bytes are split (every byte boundary)', async () => {
    const { bytes, encoder } = await kubectlLikeClientBytes();
    encoder.close();
    const whole = new SpdyFrameParser().push(bytes);
    expect(whole).toHaveLength(7);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const parser = new SpdyFrameParser();
      const frames: SpdyFrame[] = [
        ...parser.push(bytes.subarray(0, cut)),
        ...parser.push(bytes.subarray(cut)),
      ];
      expect(frames).toEqual(whole);
      expect(parser.buffered).toBe(0);
    }
  });

  it('reads byte-at-a-time input', async () => {
    const { bytes, encoder } = await kubectlLikeClientBytes();
    encoder.close();
    const parser = new SpdyFrameParser();
    const frames: SpdyFrame[] = [];
    for (const byte of bytes) frames.push(...parser.push(Buffer.from([byte])));
    expect(frames).toEqual(new SpdyFrameParser().push(bytes));
  });

  it('refuses a frame longer than its bound and a control frame of another SPDY version', () => {
    const big = Buffer.from([0, 0, 0, 1, 0, 0x10, 0, 0]);
    expect(() => new SpdyFrameParser(1024).push(big)).toThrow(SpdyFrameError);
    const v2 = Buffer.from([0x80, 2, 0, 6, 0, 0, 0, 4, 0, 0, 0, 1]);
    expect(() => new SpdyFrameParser().push(v2)).toThrow(/version 2/);
  });
});

describe('SpdyHeaderDecoder', () => {
  it('inflates successive header blocks of one direction with the shared zlib context', async () => {
    const encoder = new SpdyHeaderEncoder();
    const decoder = new SpdyHeaderDecoder();
    const { headerBlock } = await import('./spdy-test-helpers.js');
    const first = await encoder.compress(headerBlock({ streamtype: 'stdout', 'x-a': 'one\0two' }));
    const second = await encoder.compress(headerBlock({ streamtype: 'stdout' }));
    encoder.close();
    expect(decoder.decode(first)).toEqual(
      new Map([
        ['streamtype', ['stdout']],
        ['x-a', ['one', 'two']],
      ]),
    );
    // The second block is tiny because it refers back to the first: only the shared context reads it.
    expect(decoder.decode(second)).toEqual(new Map([['streamtype', ['stdout']]]));
  });

  it('gives up (undefined), never throws, on bytes that are not a header block', () => {
    const decoder = new SpdyHeaderDecoder();
    expect(decoder.decode(Buffer.from('not zlib at all'))).toBeUndefined();
    expect(decoder.decode(Buffer.from('still not'))).toBeUndefined();
  });
});

describe('SpdyTap', () => {
  it('maps data frames to the channel their stream was opened for, in each direction, at any split', async () => {
    const { bytes: client, encoder } = await kubectlLikeClientBytes();
    encoder.close();
    const serverEncoder = new SpdyHeaderEncoder();
    const server = Buffer.concat([
      await synReply(serverEncoder, 1, {}),
      await synReply(serverEncoder, 3, {}),
      dataFrame(5, 'hello\n'),
      dataFrame(7, 'oops\n'),
      dataFrame(1, '{"status":"Failure","reason":"NonZeroExitCode"}'),
    ]);
    serverEncoder.close();
    for (const cut of [0, 1, 9, 20, client.length - 3]) {
      const seen: string[] = [];
      const tap = new SpdyTap({ channel: (ch, data, from) => seen.push(`${from}:${ch}:${data.toString()}`) });
      tap.push('client', client.subarray(0, cut));
      tap.push('client', client.subarray(cut));
      for (let i = 0; i < server.length; i += 7) tap.push('server', server.subarray(i, i + 7));
      expect(seen).toEqual([
        'client:stdin:echo hello\n',
        'client:stdin:exit 3\n',
        'server:stdout:hello\n',
        'server:stderr:oops\n',
        'server:error:{"status":"Failure","reason":"NonZeroExitCode"}',
      ]);
    }
  });

  it('reports port-forward tunnels by port and size only', async () => {
    const encoder = new SpdyHeaderEncoder();
    const opened: number[] = [];
    const sizes: string[] = [];
    const tap = new SpdyTap({
      channel: () => expect.unreachable('no exec channel in a port-forward'),
      portOpened: (p) => opened.push(p),
      portData: (p, n, from) => sizes.push(`${from}:${p}:${n}`),
    });
    tap.push('client', await synStream(encoder, 1, { streamtype: 'error', port: '8080', requestid: '0' }));
    tap.push('client', await synStream(encoder, 3, { streamtype: 'data', port: '8080', requestid: '0' }));
    tap.push('client', dataFrame(3, 'GET / HTTP/1.1\r\n\r\n'));
    tap.push('server', dataFrame(3, 'HTTP/1.1 200 OK\r\n'));
    encoder.close();
    expect(opened).toEqual([8080]);
    expect(sizes).toEqual(['client:8080:18', 'server:8080:17']);
  });
});
