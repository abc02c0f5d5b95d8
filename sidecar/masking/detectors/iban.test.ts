import { describe, expect, it } from 'vitest';
import { findIbans, ibanChecksumValid } from './iban.js';

const found = (text: string) => findIbans(text).map((s) => text.slice(s.start, s.end));

describe('iban detector', () => {
  it.each([
    'DE89370400440532013000',
    'DE89 3704 0044 0532 0130 00',
    'GB82WEST12345698765432',
    'GB82 WEST 1234 5698 7654 32',
    'FR1420041010050500013M02606',
    'NL91ABNA0417164300',
    'NO9386011117947',
    'BE68539007547034',
    'CH9300762011623852957',
    'de89370400440532013000',
  ])('finds %s', (iban) => {
    expect(found(`pay to ${iban}, thanks`)).toEqual([iban]);
  });

  it.each([
    'DE89370400440532013001',
    'DE8937040044053201300',
    'XX89370400440532013000',
    'DE89370400440532013000X',
    'ADE89370400440532013000',
    '**** **** **** **** **30 00',
  ])('ignores %s', (text) => {
    expect(found(text)).toEqual([]);
  });

  it('stops at the registered length when more text follows', () => {
    expect(found('DE89 3704 0044 0532 0130 00 1234')).toEqual(['DE89 3704 0044 0532 0130 00']);
  });

  it('checks mod 97', () => {
    expect(ibanChecksumValid('GB82WEST12345698765432')).toBe(true);
    expect(ibanChecksumValid('GB83WEST12345698765432')).toBe(false);
  });
});
