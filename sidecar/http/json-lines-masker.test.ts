import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { compileMaskingRule, maskerFor } from '../masking/index.js';
import { isJsonLinesMediaType, JsonLinesMasker } from './json-lines-masker.js';

const rule = compileMaskingRule(
  { namespace: 'agents', name: 'pii' },
  { fields: [{ jsonPath: '$.email' }], detectors: ['creditCard'] },
);
if (!rule.ok) throw new Error('rule does not compile');
const masker = maskerFor([rule.rule], { subject: 'a', groups: [] });

const input = Buffer.from(
  '{"email":"ada@example.com","n":1}\n\n{"card":"4111 1111 1111 1111"}\n{"plain":true}\n{"email":"x@y.z"}',
);

async function run(chunks: Buffer[], maxLine = 1024): Promise<string> {
  return text(Readable.from(chunks).pipe(new JsonLinesMasker(masker, maxLine)));
}

describe('JsonLinesMasker', () => {
  it('masks every line the same however the stream is split', async () => {
    const whole = await run([input]);
    const lines = whole.split('\n');
    expect(lines).toHaveLength(5);
    expect(whole).not.toContain('ada@example.com');
    expect(whole).not.toContain('4111 1111 1111 1111');
    expect(lines[1]).toBe('');
    expect(lines[3]).toBe('{"plain":true}'); // unmasked lines go out byte for byte
    expect(lines[4]).not.toContain('x@y.z'); // a last line without a newline is masked too
    for (let cut = 1; cut < input.length; cut++) {
      expect(await run([input.subarray(0, cut), input.subarray(cut)])).toBe(whole);
    }
  });
  it('fails (so the connection is cut) on a line that does not parse or is too long', async () => {
    await expect(run([Buffer.from('{"a":1}\n{"email":\n')])).rejects.toThrow(/does not parse/);
    await expect(run([Buffer.from(`{"a":"${'x'.repeat(100)}`)], 50)).rejects.toThrow(/longer than 50/);
    await expect(run([Buffer.from([0x7b, 0xff, 0x7d, 0x0a])])).rejects.toThrow(/not UTF-8/);
  });
  it('recognises the JSON-lines media types', () => {
    expect(isJsonLinesMediaType('application/x-ndjson; charset=utf-8')).toBe(true);
    expect(isJsonLinesMediaType('application/jsonl')).toBe(true);
    expect(isJsonLinesMediaType('application/json')).toBe(false);
  });
});
