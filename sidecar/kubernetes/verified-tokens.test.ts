import { describe, expect, it } from 'vitest';
import { MAX_REUSE_MS, MAX_TOKENS, VerifiedTokens } from './verified-tokens.js';

const alice = { subject: 'alice', groups: ['crew'] };

describe('VerifiedTokens', () => {
  it('reuses a verification until the token expires, never past it', () => {
    let now = 1_000_000;
    const tokens = new VerifiedTokens(() => now);
    tokens.remember('t', alice, new Date(now + 10_000));
    expect(tokens.get('t')).toEqual(alice);
    now += 9_999;
    expect(tokens.get('t')).toEqual(alice);
    now += 1;
    expect(tokens.get('t')).toBeUndefined();
  });

  it('reuses a long-lived token for at most a minute, then verifies it again', () => {
    let now = 0;
    const tokens = new VerifiedTokens(() => now);
    tokens.remember('t', alice, new Date(now + 3_600_000));
    now += MAX_REUSE_MS - 1;
    expect(tokens.get('t')).toEqual(alice);
    now += 1;
    expect(tokens.get('t')).toBeUndefined();
  });

  it('keeps nothing for a token that has already expired, and knows no other token', () => {
    const tokens = new VerifiedTokens(() => 5_000);
    tokens.remember('old', alice, new Date(4_000));
    expect(tokens.get('old')).toBeUndefined();
    expect(tokens.get('never-seen')).toBeUndefined();
  });

  it('holds at most MAX_TOKENS tokens, dropping the oldest', () => {
    const tokens = new VerifiedTokens(() => 0);
    for (let i = 0; i <= MAX_TOKENS; i++) tokens.remember(`t${i}`, alice, new Date(60_000));
    expect(tokens.get('t0')).toBeUndefined();
    expect(tokens.get('t1')).toEqual(alice);
    expect(tokens.get(`t${MAX_TOKENS}`)).toEqual(alice);
  });
});
