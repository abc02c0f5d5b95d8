import { describe, expect, it } from 'vitest';
import { decodeAnsiC } from './ansi-c-string.js';

describe('decodeAnsiC', () => {
  it.each([
    ['plain', 'plain'],
    ['a\\nb\\tc', 'a\nb\tc'],
    ['\\x72\\x6d', 'rm'],
    ['\\162\\155', 'rm'],
    ['\\u0072m', 'rm'],
    ['\\U0001F600', '\u{1F600}'],
    ["it\\'s", "it's"],
    ['\\e[0m', '\x1b[0m'],
    ['\\cA', '\x01'],
    ['\\c?', '\x7f'],
    ['\\q', '\\q'],
    ['\\x', '\\x'],
    ['\\xZZ', '\\xZZ'],
    ['rm\\0-rf', 'rm'],
    ['rm\\x00-rf', 'rm'],
    ['trailing\\', 'trailing\\'],
    ['\\uD800', '\\uD800'],
  ])('%j decodes to %j', (body, expected) => {
    expect(decodeAnsiC(body)).toBe(expected);
  });
});
