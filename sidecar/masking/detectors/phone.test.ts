import { describe, expect, it } from 'vitest';
import { findPhones } from './phone.js';

const found = (text: string) => findPhones(text).map((s) => text.slice(s.start, s.end));

describe('phone detector', () => {
  it.each([
    '+14155552671',
    '+44 20 7946 0958',
    '+1 (415) 555-2671',
    '+33 6 12 34 56 78',
    '+49-30-1234567',
    '(415) 555-2671',
    '415-555-2671',
    '415.555.2671',
    '415 555 2671',
    '1-415-555-2671',
    '06 12 34 56 78',
    '030 1234567',
    '020 7946 0958',
    '(030) 1234567',
    '0171-1234567',
  ])('finds %s', (phone) => {
    expect(found(`call ${phone} today`)).toEqual([phone]);
  });

  it.each([
    '12345',
    '4155552671',
    '2024-01-15',
    '01-02-2024',
    '15.01.2024',
    '2024-01-15 10:30:00',
    '192.168.1.100',
    'v1.2.3',
    '12:30:45',
    'order 123456789',
    '+123',
    '(415',
    '4111 1111 1111 1111',
    'ABC415-555-2671',
    '+* *** *** 2671',
    '(***) ***-2671',
  ])('ignores %s', (text) => {
    expect(found(text)).toEqual([]);
  });

  it('finds a phone after a date in the same run of digits', () => {
    expect(found('2024-01-15 555-123-4567')).toEqual(['555-123-4567']);
  });

  it('is linear on long runs', () => {
    const t0 = performance.now();
    findPhones('1 '.repeat(200_000));
    findPhones('+1'.repeat(200_000));
    expect(performance.now() - t0).toBeLessThan(3_000);
  });
});
