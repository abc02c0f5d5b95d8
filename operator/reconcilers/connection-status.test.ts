import { describe, expect, it } from 'vitest';
import { connectionSpec } from '../../crds/schemas/connection.js';
import { sameConditions, setConditions } from './conditions.js';
import { connectionConditions } from './connection-status.js';

const spec = connectionSpec.parse({
  type: 'postgres',
  address: 'db:5432',
  credentialsRef: { name: 'db-creds' },
});
const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('connectionConditions', () => {
  it.each([
    ['no Secret', undefined, 'False', 'SecretNotFound', /Secret db-creds does not exist/],
    [
      'a Secret without the password',
      { data: { username: b64('app') } },
      'False',
      'MissingKeys',
      /lacks password/,
    ],
    [
      'a complete Secret',
      { data: { username: b64('app'), password: b64('x') } },
      'True',
      'SecretFound',
      /has username, password/,
    ],
  ])('%s', (_name, secret, status, reason, message) => {
    const conditions = connectionConditions(spec, secret);
    expect(conditions[0]).toMatchObject({ type: 'CredentialsResolved', status, reason });
    expect(conditions[0]!.message).toMatch(message);
    expect(conditions.at(-1)).toMatchObject({ type: 'Ready', status });
  });

  it('is not Ready when the target is unreachable even with credentials', () => {
    const conditions = connectionConditions(
      spec,
      { data: { username: 'x', password: 'y' } },
      { reachable: false, detail: 'connect ECONNREFUSED' },
    );
    expect(conditions.at(-1)).toMatchObject({ type: 'Ready', status: 'False', reason: 'Unreachable' });
  });
});

describe('setConditions', () => {
  it('keeps lastTransitionTime while the status stays the same, and moves it when it changes', () => {
    const t1 = new Date('2026-11-23T10:00:00Z');
    const t2 = new Date('2026-11-23T11:00:00Z');
    const first = setConditions(
      undefined,
      [{ type: 'Ready', status: 'False', reason: 'A', message: 'a' }],
      1,
      t1,
    );
    const same = setConditions(first, [{ type: 'Ready', status: 'False', reason: 'B', message: 'b' }], 2, t2);
    expect(same[0]).toMatchObject({
      lastTransitionTime: t1.toISOString(),
      reason: 'B',
      observedGeneration: 2,
    });
    const flipped = setConditions(
      same,
      [{ type: 'Ready', status: 'True', reason: 'C', message: 'c' }],
      2,
      t2,
    );
    expect(flipped[0]!.lastTransitionTime).toBe(t2.toISOString());
    expect(sameConditions(same, same)).toBe(true);
    expect(sameConditions(same, flipped)).toBe(false);
  });
});
