import { describe, expect, it } from 'vitest';
import { findUsSsns, validSsn } from './us-ssn.js';

const found = (text: string) => findUsSsns(text).map((s) => text.slice(s.start, s.end));

describe('usSsn detector', () => {
  it.each(['123-45-6789', '001-01-0001', '665-99-9999', '899-12-3456'])('finds %s', (ssn) => {
    expect(found(`ssn ${ssn}.`)).toEqual([ssn]);
  });

  it.each([
    '000-12-3456',
    '666-12-3456',
    '900-12-3456',
    '999-12-3456',
    '123-00-4567',
    '123-45-0000',
    '078-05-1120',
    '219-09-9999',
    '123456789',
    '1123-45-6789',
    '123-45-67890',
    '2024-01-15',
    '***-**-6789',
    '1-123-45-6789',
  ])('ignores %s', (text) => {
    expect(found(text)).toEqual([]);
  });

  it('validates the ranges', () => {
    expect(validSsn('123', '45', '6789')).toBe(true);
    expect(validSsn('666', '45', '6789')).toBe(false);
  });
});
