import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { maskerFor } from '../masking/index.js';
import { mustCompileRule } from '../masking/test-helpers.js';
import { maskJsonDocument, TextMasker, UnmaskableBodyError, WatchMasker } from './response-masking.js';

const analyst = { subject: 'agent-analyst', groups: ['crewai-viewer'] };
const masker = maskerFor(
  [
    mustCompileRule('agents/secret-data', {
      subjects: [{ group: 'crewai-viewer' }],
      fields: [{ kubernetes: 'secretData' }],
      detectors: ['email'],
    }),
  ],
  analyst,
);
const b64 = (s: string) => Buffer.from(s).toString('base64');
const secret = (name: string, value: string) => ({
  kind: 'Secret',
  apiVersion: 'v1',
  metadata: { name },
  data: { password: b64(value) },
});

async function through(stream: NodeJS.ReadWriteStream, chunks: string[]): Promise<string> {
  return (await buffer(Readable.from(chunks.map((c) => Buffer.from(c))).pipe(stream))).toString('utf8');
}

describe('masking a whole JSON answer', () => {
  it('masks a Secret and returns the same bytes when nothing is masked', () => {
    const masked = maskJsonDocument(masker, Buffer.from(JSON.stringify(secret('db', 'hunter2'))));
    expect(masked.maskedFields).toBe(1);
    expect(JSON.parse(masked.body.toString())).toMatchObject({ data: { password: b64('[REDACTED]') } });

    const plain = Buffer.from('{"kind":"ConfigMap","data":{"mode":"fast"}}');
    expect(maskJsonDocument(masker, plain).body).toBe(plain);
  });

  it('refuses (throws) a body that claims JSON and is not', () => {
    expect(() => maskJsonDocument(masker, Buffer.from('{"kind": "Secret", "data": {'))).toThrow(
      UnmaskableBodyError,
    );
  });
});

describe('masking a watch stream line by line', () => {
  const event = (type: string, name: string, value: string) =>
    `${JSON.stringify({ type, object: secret(name, value) })}\n`;

  it('masks every event, including one split across chunks and two in one chunk', async () => {
    const a = event('ADDED', 'a', 'alpha-secret');
    const b = event('MODIFIED', 'b', 'beta-secret');
    const c = event('DELETED', 'c', 'gamma-secret');
    let counted = 0;
    const out = await through(new WatchMasker(masker, 1 << 20, (n) => (counted += n)), [
      a.slice(0, 17),
      a.slice(17) + b.slice(0, 5),
      b.slice(5) + c,
    ]);
    const lines = out.split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[3]).toBe('');
    for (const line of lines.slice(0, 3))
      expect(JSON.parse(line)).toMatchObject({ object: { data: { password: b64('[REDACTED]') } } });
    expect(out).not.toContain(b64('alpha-secret'));
    expect(counted).toBe(3);
  });

  it('masks a final event that arrives without its newline', async () => {
    const out = await through(new WatchMasker(masker, 1 << 20), [event('ADDED', 'a', 'x-secret').trimEnd()]);
    expect(JSON.parse(out)).toMatchObject({ object: { data: { password: b64('[REDACTED]') } } });
  });

  it('cuts the stream on an event that is not JSON, never passing it on', async () => {
    const chunks: Buffer[] = [];
    const masking = new WatchMasker(masker, 1 << 20);
    masking.on('data', (c: Buffer) => chunks.push(c));
    await expect(
      pipeline(
        Readable.from([
          Buffer.from(event('ADDED', 'a', 'ok')),
          Buffer.from('{"type":"ADDED","object":{"data":\n'),
        ]),
        masking,
      ),
    ).rejects.toThrow(UnmaskableBodyError);
    expect(Buffer.concat(chunks).toString()).not.toContain('"object":{"data":\n');
  });

  it('cuts the stream on an event larger than the bound, even before its newline', async () => {
    await expect(
      pipeline(
        Readable.from([Buffer.from(`{"type":"ADDED","object":"${'x'.repeat(5000)}`)]),
        new WatchMasker(masker, 1024),
      ),
    ).rejects.toThrow(/larger than 1024 bytes/);
  });
});

describe('masking text answers (container logs)', () => {
  it('masks detector findings line by line, with UTF-8 split across chunks kept whole', async () => {
    const text = 'user ü alice@example.com logged in\nbye\n';
    const bytes = Buffer.from(text);
    const cut = bytes.indexOf(Buffer.from('ü')) + 1;
    const stream = new TextMasker(masker, 1 << 20);
    const out = await buffer(Readable.from([bytes.subarray(0, cut), bytes.subarray(cut)]).pipe(stream));
    expect(out.toString()).toContain('user ü ');
    expect(out.toString()).not.toContain('alice@example.com');
    expect(out.toString().endsWith('bye\n')).toBe(true);
  });
});
