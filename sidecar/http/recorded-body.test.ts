import { describe, expect, it } from 'vitest';
import { compileMaskingRule, maskerFor } from '../masking/index.js';
import { BodyCapture, recordedBody } from './recorded-body.js';

const rule = compileMaskingRule(
  { namespace: 'agents', name: 'pii' },
  { fields: [{ jsonPath: '$..email' }], detectors: ['creditCard'] },
);
if (!rule.ok) throw new Error('rule does not compile');
const masker = maskerFor([rule.rule], { subject: 'a', groups: [] });
const none = maskerFor([], { subject: 'a', groups: [] });

describe('recordedBody', () => {
  it('masks a complete JSON body by path and detector', () => {
    const body = Buffer.from(
      JSON.stringify({ email: 'ada@example.com', card: '4111 1111 1111 1111', name: 'Ada' }),
    );
    const r = recordedBody(body, body.length, 'application/json', masker, 4096);
    expect(r?.truncated).toBe(false);
    expect(r?.text).toContain('Ada');
    expect(r?.text).not.toContain('ada@example.com');
    expect(r?.text).not.toContain('4111 1111 1111 1111');
  });
  it('cuts at the bound and still masks what the detectors find in the head', () => {
    const body = Buffer.from(`card 4111 1111 1111 1111 ${'x'.repeat(100)}`);
    const r = recordedBody(body.subarray(0, 40), body.length, 'text/plain', masker, 40);
    expect(r).toMatchObject({ truncated: true });
    expect(r?.text).not.toContain('4111 1111 1111 1111');
  });
  it('summarises binary bodies and keeps text as is without masking rules', () => {
    const binary = Buffer.from([0xff, 0xfe, 0x00, 0x81]);
    expect(recordedBody(binary, 4, 'application/octet-stream', none, 100)?.text).toBe(
      '[4 bytes of application/octet-stream data]',
    );
    expect(recordedBody(Buffer.from('hello'), 5, 'text/plain', none, 100)).toEqual({
      text: 'hello',
      truncated: false,
    });
    expect(recordedBody(Buffer.alloc(0), 0, 'text/plain', none, 100)).toBeUndefined();
  });
});

describe('BodyCapture', () => {
  it('keeps the first bytes up to the bound and counts everything', () => {
    const c = new BodyCapture(5);
    c.add(Buffer.from('abc'));
    c.add(Buffer.from('defgh'));
    c.add(Buffer.from('ij'));
    expect(c.bytes().toString()).toBe('abcde');
    expect(c.total).toBe(10);
  });
});
