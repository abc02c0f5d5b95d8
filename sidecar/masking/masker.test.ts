import { describe, expect, it } from 'vitest';
import type { Identity } from '../core/command.js';
import { maskerFor } from './masker.js';
import { mustCompileRule } from './test-helpers.js';

const alice: Identity = { subject: 'alice', groups: ['viewers'] };
const admin: Identity = { subject: 'root', groups: ['admins'] };
const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ';

const pii = mustCompileRule('agents/pii', {
  subjects: [{ group: 'viewers' }],
  fields: [{ column: 'customers.ssn' }, { column: 'password_hash' }],
  detectors: ['email', 'creditCard', 'jwt'],
});

describe('maskRow', () => {
  const columns = [
    { name: 'id' },
    { name: 'ssn', table: 'customers' },
    { name: 'note' },
    { name: 'password_hash', table: 'users' },
    { name: 'ssn', table: 'staff' },
  ];

  it('masks selected columns whole and detected values inside the others', () => {
    const m = maskerFor([pii], alice);
    const row = ['42', '123-45-6789', 'card 4111 1111 1111 1111, mail alice@example.com', 'x', '987-65-4321'];
    const r = m.maskRow(columns, row);
    expect(r.values).toEqual([
      '42',
      '[REDACTED]',
      'card [REDACTED:creditCard], mail [REDACTED:email]',
      '[REDACTED]',
      '987-65-4321',
    ]);
    expect(r.maskedFields).toBe(3);
    expect(row[1]).toBe('123-45-6789');
  });

  it('leaves nulls alone and returns the same array when nothing changed', () => {
    const m = maskerFor([pii], alice);
    const row = ['1', null, 'nothing here', null, 'x'];
    const r = m.maskRow(columns, row);
    expect(r.values).toBe(row);
    expect(r.maskedFields).toBe(0);
  });

  it('is a no-op for an identity the rule does not name', () => {
    const m = maskerFor([pii], admin);
    expect(m.active).toBe(false);
    const row = ['1', '123-45-6789', 'alice@example.com', 'h', null];
    expect(m.maskRow(columns, row).values).toBe(row);
    expect(m.maskText('alice@example.com').text).toBe('alice@example.com');
  });

  it('takes the strictest strategy when two rules select the same column', () => {
    const partial = mustCompileRule('agents/cards', { fields: [{ column: 'card' }], strategy: 'partial' });
    const redact = mustCompileRule('agents/cards-strict', { fields: [{ column: 'card' }] });
    const cols = [{ name: 'card' }];
    expect(maskerFor([partial], alice).maskRow(cols, ['4111111111111111']).values).toEqual([
      '************1111',
    ]);
    expect(maskerFor([partial, redact], alice).maskRow(cols, ['4111111111111111']).values).toEqual([
      '[REDACTED]',
    ]);
  });

  it('hashes so that equal values stay equal', () => {
    const h = mustCompileRule('agents/h', {
      fields: [{ column: 'email' }],
      detectors: ['email'],
      strategy: 'hash',
      hashKeyRef: { name: 'k', key: 'k' },
    });
    const m = maskerFor([h], alice);
    const a = m.maskRow(
      [{ name: 'email' }, { name: 'other' }],
      ['alice@example.com', 'to: alice@example.com'],
    ).values;
    expect(a[0]).toMatch(/^h:[0-9a-f]{16}$/);
    expect(a[1]).toBe(`to: ${a[0]}`);
    expect(m.maskRow([{ name: 'email' }], [a[0] as string]).values).toEqual([a[0]]);
  });
});

describe('maskText', () => {
  it('masks every detected value and counts them', () => {
    const m = maskerFor([pii], alice);
    const r = m.maskText(`Authorization: Bearer ${JWT}\nuser=bob@example.org`);
    expect(r.text).toBe('Authorization: Bearer [REDACTED:jwt]\nuser=[REDACTED:email]');
    expect(r.maskedFields).toBe(2);
  });

  it('runs custom patterns, and redacts their matches under partial', () => {
    const rule = mustCompileRule('agents/ids', {
      patterns: [{ name: 'employee id', regex: 'EMP\\d{6}' }],
      detectors: ['creditCard'],
      strategy: 'partial',
    });
    const m = maskerFor([rule], alice);
    expect(m.maskText('EMP123456 paid with 4111-1111-1111-1111').text).toBe(
      '[REDACTED:employee_id] paid with ****-****-****-1111',
    );
  });

  it('does not re-mask markers with a greedy custom pattern, but masks what surrounds them', () => {
    const rule = mustCompileRule('agents/all', {
      patterns: [
        { name: 'tok', regex: 'tok=\\S+' },
        { name: 'word', regex: '[A-Z]{3,}' },
      ],
      detectors: ['email'],
    });
    const m = maskerFor([rule], alice);
    const once = m.maskText('tok=abc SECRET a@b.co').text;
    expect(once).toBe('[REDACTED:tok] [REDACTED:word] [REDACTED:email]');
    expect(m.maskText(once).text).toBe(once);
    expect(m.maskText('tok=x[REDACTED:email]').text).toBe('[REDACTED:tok][REDACTED:email]');
  });

  it('merges overlapping findings into one mask', () => {
    const rule = mustCompileRule('agents/m', {
      detectors: ['email', 'phone'],
      patterns: [{ name: 'contact', regex: 'contact: [^;]+' }],
    });
    expect(maskerFor([rule], alice).maskText('contact: a@b.co, 415-555-2671; ok').text).toBe(
      '[REDACTED:contact]; ok',
    );
  });
});

describe('maskJson', () => {
  it('masks JSON paths whole and detects values in every other string, number and key', () => {
    const rule = mustCompileRule('agents/j', {
      fields: [{ jsonPath: '$.user.ssn' }, { jsonPath: '$.items[*].email' }, { jsonPath: '$..token' }],
      detectors: ['email', 'creditCard'],
    });
    const body = {
      user: { ssn: '123-45-6789', name: 'Alice', card: 4111111111111111 },
      items: [{ email: 'not-an-email', id: 1 }, { email: 'x@y.io' }],
      deep: { a: [{ token: { v: 'abc', n: 5 } }] },
      'owner@example.com': true,
      count: 3,
      ok: null,
    };
    const r = maskerFor([rule], alice).maskJson(body);
    expect(r.value).toEqual({
      user: { ssn: '[REDACTED]', name: 'Alice', card: '[REDACTED:creditCard]' },
      items: [{ email: '[REDACTED]', id: 1 }, { email: '[REDACTED]' }],
      deep: { a: [{ token: { v: '[REDACTED]', n: '[REDACTED]' } }] },
      '[REDACTED:email]': true,
      count: 3,
      ok: null,
    });
    expect(r.maskedFields).toBe(7);
    expect(body.user.ssn).toBe('123-45-6789');
  });

  it('returns the very same object when nothing is masked', () => {
    const rule = mustCompileRule('agents/j', { detectors: ['email'] });
    const body = { a: [1, 'two', { b: null }] };
    expect(maskerFor([rule], alice).maskJson(body).value).toBe(body);
  });

  it('keeps colliding masked keys apart', () => {
    const rule = mustCompileRule('agents/j', { detectors: ['email'] });
    const r = maskerFor([rule], alice).maskJson({ 'a@x.com': 1, 'b@x.com': 2 });
    expect(r.value).toEqual({ '[REDACTED:email]': 1, '[REDACTED:email]~2': 2 });
  });

  it('masks the whole document for $', () => {
    const rule = mustCompileRule('agents/all', { fields: [{ jsonPath: '$' }] });
    expect(maskerFor([rule], alice).maskJson({ a: 'x', b: [1, true] }).value).toEqual({
      a: '[REDACTED]',
      b: ['[REDACTED]', true],
    });
  });

  it('keeps __proto__ keys as data', () => {
    const rule = mustCompileRule('agents/j', { detectors: ['email'] });
    const body = JSON.parse('{"__proto__": {"x": "a@b.co"}, "y": 1}') as unknown;
    const r = maskerFor([rule], alice).maskJson(body).value as Record<string, unknown>;
    expect(JSON.stringify(r)).toBe('{"__proto__":{"x":"[REDACTED:email]"},"y":1}');
    expect(Object.getPrototypeOf(r)).toBe(Object.prototype);
  });
});

describe('Kubernetes secretData', () => {
  const rule = mustCompileRule('agents/secrets', { fields: [{ kubernetes: 'secretData' }] });
  const secret = (name: string) => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name,
      annotations: {
        'kubectl.kubernetes.io/last-applied-configuration': '{"data":{"password":"aHVudGVyMg=="}}',
        team: 'a',
      },
    },
    type: 'Opaque',
    data: {
      password: Buffer.from('hunter2').toString('base64'),
      user: Buffer.from('admin').toString('base64'),
    },
    stringData: { token: 'plain-token' },
  });
  const REDACTED_B64 = Buffer.from('[REDACTED]').toString('base64');

  it('masks data (still valid base64), stringData and the last-applied annotation', () => {
    const r = maskerFor([rule], alice).maskJson(secret('db'));
    expect(r.value).toEqual({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: 'db',
        annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '[REDACTED]', team: 'a' },
      },
      type: 'Opaque',
      data: { password: REDACTED_B64, user: REDACTED_B64 },
      stringData: { token: '[REDACTED]' },
    });
    expect(r.maskedFields).toBe(4);
    expect(Buffer.from(REDACTED_B64, 'base64').toString()).toBe('[REDACTED]');
  });

  it('masks Secrets in a SecretList (items have no kind), a List and a watch event', () => {
    const m = maskerFor([rule], alice);
    const list = {
      kind: 'SecretList',
      apiVersion: 'v1',
      items: [{ metadata: { name: 'a' }, data: { k: 'dmFsdWU=' } }],
    };
    expect(m.maskJson(list).value).toEqual({
      kind: 'SecretList',
      apiVersion: 'v1',
      items: [{ metadata: { name: 'a' }, data: { k: REDACTED_B64 } }],
    });
    const generic = { kind: 'List', items: [secret('x'), { kind: 'ConfigMap', data: { k: 'v' } }] };
    const g = m.maskJson(generic).value as { items: { data: Record<string, string> }[] };
    expect(g.items[0]?.data.password).toBe(REDACTED_B64);
    expect(g.items[1]?.data.k).toBe('v');
    const event = { type: 'MODIFIED', object: secret('y') };
    expect((m.maskJson(event).value as { object: { data: { password: string } } }).object.data.password).toBe(
      REDACTED_B64,
    );
  });

  it('leaves ConfigMaps alone and is idempotent', () => {
    const m = maskerFor([rule], alice);
    const cm = { kind: 'ConfigMap', data: { password: 'not masked by secretData' } };
    expect(m.maskJson(cm).value).toBe(cm);
    const once = m.maskJson(secret('z')).value;
    const twice = m.maskJson(once);
    expect(twice.value).toBe(once);
    expect(twice.maskedFields).toBe(0);
  });

  it('partial and hash keep data valid base64 and stay idempotent', () => {
    for (const strategy of ['partial', 'hash']) {
      const r = mustCompileRule('agents/s', {
        fields: [{ kubernetes: 'secretData' }],
        strategy,
        hashKeyRef: { name: 'k', key: 'k' },
      });
      const m = maskerFor([r], alice);
      const once = m.maskJson(secret('p')).value as { data: { password: string } };
      const plain = Buffer.from(once.data.password, 'base64').toString();
      expect(plain).toMatch(strategy === 'partial' ? /^\*\*\*\*er2$/ : /^h:[0-9a-f]{16}$/);
      expect(m.maskJson(once).value).toBe(once);
    }
  });
});
