import fc from 'fast-check';
import { serialize } from 'pg-protocol';
import { describe, expect, it } from 'vitest';
import { FrontendParser, MAX_STARTUP_PACKET_BYTES } from './frontend-parser.js';
import type { FrontendMessage } from './frontend-messages.js';
import { PostgresProtocolError } from './protocol-error.js';

/** A session's worth of frontend traffic, encoded by node-postgres's own serializer. */
const startup = serialize.startup({ user: 'agent', database: 'shop', application_name: 'psql' });
const session = Buffer.concat([
  serialize.password('eyJhbGciOi.token'),
  serialize.query('SELECT 1; SELECT ’é’'),
  serialize.parse({ name: 'q1', text: 'SELECT * FROM customers WHERE id = $1', types: [20] }),
  serialize.bind({ statement: 'q1', portal: '', values: ['42', null], binary: false }),
  serialize.describe({ type: 'P', name: '' }),
  serialize.execute({ portal: '', rows: 0 }),
  serialize.close({ type: 'S', name: 'q1' }),
  serialize.flush(),
  serialize.sync(),
  serialize.copyData(Buffer.from('1\tada\n')),
  serialize.copyDone(),
  serialize.copyFail('client gave up'),
  serialize.end(),
]);
const everything = Buffer.concat([startup, session]);

const summary = (m: FrontendMessage) => {
  const { raw, ...rest } = m as FrontendMessage & { payload?: Buffer };
  return {
    ...rest,
    ...(rest.payload ? { payload: rest.payload.toString('latin1') } : {}),
    rawLength: raw.length,
  };
};

function parseInChunks(bytes: Buffer, cuts: number[]): FrontendMessage[] {
  const parser = new FrontendParser();
  const out: FrontendMessage[] = [];
  let previous = 0;
  for (const cut of [...cuts].sort((a, b) => a - b).concat(bytes.length)) {
    out.push(...parser.push(bytes.subarray(previous, cut)));
    previous = cut;
  }
  expect(parser.bufferedBytes).toBe(0);
  return out;
}

describe('FrontendParser', () => {
  const whole = parseInChunks(everything, []).map(summary);

  it('decodes what node-postgres sends, startup then typed messages', () => {
    expect(whole.map((m) => m.kind)).toEqual([
      'StartupMessage',
      'Password',
      'Query',
      'Parse',
      'Bind',
      'Describe',
      'Execute',
      'Close',
      'Flush',
      'Sync',
      'CopyData',
      'CopyDone',
      'CopyFail',
      'Terminate',
    ]);
    expect(whole[0]).toMatchObject({
      protocolVersion: 196608,
      parameters: { user: 'agent', database: 'shop', application_name: 'psql' },
    });
    expect(whole[1]).toMatchObject({ payload: 'eyJhbGciOi.token\0' });
    expect(whole[2]).toMatchObject({ text: 'SELECT 1; SELECT ’é’' });
    expect(whole[3]).toMatchObject({
      statement: 'q1',
      text: 'SELECT * FROM customers WHERE id = $1',
      parameterTypes: [20],
    });
    expect(whole[4]).toMatchObject({ statement: 'q1', portal: '', parameterCount: 2 });
    expect(whole[5]).toMatchObject({ target: 'P', name: '' });
    expect(whole[6]).toMatchObject({ portal: '', maxRows: 0 });
    expect(whole[7]).toMatchObject({ target: 'S', name: 'q1' });
    expect(whole[12]).toMatchObject({ message: 'client gave up' });
  });

  it('gives the same messages however the bytes are split, at every byte boundary', () => {
    for (let cut = 0; cut <= everything.length; cut++) {
      expect(parseInChunks(everything, [cut]).map(summary)).toEqual(whole);
    }
  });

  it('gives the same messages for any set of split points (property)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: everything.length }), { maxLength: 20 }),
        (cuts) => {
          expect(parseInChunks(everything, cuts).map(summary)).toEqual(whole);
        },
      ),
    );
  });

  it('keeps each message’s raw bytes, so allowed messages are forwarded untouched', () => {
    const messages = parseInChunks(everything, [7, 50, 51]);
    expect(Buffer.concat(messages.map((m) => m.raw))).toEqual(everything);
  });

  it('stays in the untyped phase across SSLRequest and GSSENCRequest', () => {
    const ssl = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);
    const gss = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x30]);
    const messages = new FrontendParser().push(Buffer.concat([ssl, gss, startup, serialize.sync()]));
    expect(messages.map((m) => m.kind)).toEqual(['SSLRequest', 'GSSENCRequest', 'StartupMessage', 'Sync']);
  });

  it('decodes a CancelRequest with a 3.0 key and a longer 3.2 key', () => {
    const cancel = serialize.cancel(1234, 5678);
    expect(new FrontendParser().push(cancel)[0]).toMatchObject({ kind: 'CancelRequest', processId: 1234 });
    const long = Buffer.alloc(8 + 4 + 32);
    long.writeInt32BE(long.length, 0);
    long.writeInt32BE(80877102, 4);
    long.writeInt32BE(99, 8);
    const message = new FrontendParser().push(long)[0];
    expect(message).toMatchObject({ kind: 'CancelRequest', processId: 99 });
    expect(message?.kind === 'CancelRequest' && message.secretKey.length).toBe(32);
  });

  describe('refuses bad frames with a protocol error, before buffering them', () => {
    const typedParser = () => {
      const parser = new FrontendParser({ maxMessageBytes: 1024 * 1024 });
      parser.push(startup);
      return parser;
    };

    it('a 2 GB length header is refused from its first five bytes', () => {
      expect(() => typedParser().push(Buffer.from([0x51, 0x7f, 0xff, 0xff, 0xff]))).toThrow(
        /exceeds the limit of 1048576 bytes/,
      );
    });

    it('a length below the header size', () => {
      expect(() => typedParser().push(Buffer.from([0x51, 0, 0, 0, 3]))).toThrow(/invalid message length 3/);
    });

    it('an unknown message type', () => {
      expect(() => typedParser().push(Buffer.from([0x7a, 0, 0, 0, 4]))).toThrow(
        /invalid frontend message type 122/,
      );
    });

    it('a query string without its terminator', () => {
      expect(() => typedParser().push(Buffer.from([0x51, 0, 0, 0, 6, 0x41, 0x42]))).toThrow(
        /unterminated string/,
      );
    });

    it('a startup packet over PostgreSQL’s own limit', () => {
      const header = Buffer.alloc(4);
      header.writeInt32BE(MAX_STARTUP_PACKET_BYTES + 1);
      expect(() => new FrontendParser().push(header)).toThrow(/exceeds the limit/);
    });

    it('an unsupported protocol version', () => {
      const v4 = Buffer.from([0, 0, 0, 9, 0, 4, 0, 0, 0]);
      expect(() => new FrontendParser().push(v4)).toThrow(/unsupported frontend protocol 4\.0/);
    });
  });

  it('never fails with anything but a protocol error on arbitrary bytes (fuzz)', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.uint8Array({ maxLength: 300 }), (typed, bytes) => {
        const parser = new FrontendParser({ maxMessageBytes: 4096 });
        if (typed) parser.push(startup);
        try {
          for (const m of parser.push(Buffer.from(bytes))) expect(m.raw.length).toBeGreaterThan(0);
        } catch (error) {
          expect(error).toBeInstanceOf(PostgresProtocolError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
