import { describe, expect, it } from 'vitest';
import { findCreditCards, luhnValid } from './credit-card.js';

const found = (text: string) => findCreditCards(text).map((s) => text.slice(s.start, s.end));

describe('creditCard detector', () => {
  it('checks Luhn', () => {
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
    expect(luhnValid('79927398713')).toBe(true);
    expect(luhnValid('')).toBe(false);
    expect(luhnValid('12a4')).toBe(false);
  });

  it.each([
    '4111111111111111',
    '5555555555554444',
    '378282246310005',
    '6011111111111117',
    '3530111333300000',
    '4222222222222',
    '4111 1111 1111 1111',
    '4111-1111-1111-1111',
    '3782 822463 10005',
    '6304000000000000000',
  ])('finds %s', (card) => {
    expect(found(`card: ${card}.`)).toEqual([card]);
  });

  it.each([
    '4111111111111112',
    '411111111111',
    '12345678901234567890123',
    '2024-01-15',
    '+1 415 555 2671',
    '4111  1111  1111  1111',
    '4111.1111.1111.1111',
  ])('ignores %s', (text) => {
    expect(found(text)).toEqual([]);
  });

  it('finds a card inside a longer run of groups and several cards in one text', () => {
    expect(found('4111 1111 1111 1111 2024')).toEqual(['4111 1111 1111 1111']);
    expect(found('a 4111111111111111, b 5555-5555-5555-4444')).toEqual([
      '4111111111111111',
      '5555-5555-5555-4444',
    ]);
    expect(found('x4111111111111111y')).toEqual(['4111111111111111']);
  });

  it('is linear on long digit runs', () => {
    const t0 = performance.now();
    findCreditCards('1 '.repeat(200_000));
    findCreditCards('1'.repeat(400_000));
    expect(performance.now() - t0).toBeLessThan(2_000);
  });
});
