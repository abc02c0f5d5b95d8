import { describe, expect, it } from 'vitest';
import { statementSlicer, trimSqlWhitespace } from './statement-text.js';

describe('statementSlicer', () => {
  it('slices ASCII text by offset', () => {
    const slice = statementSlicer('SELECT 1; DROP TABLE t');
    expect(slice(0, 8)).toBe('SELECT 1');
    expect(slice(9, undefined)).toBe('DROP TABLE t');
    expect(slice(9, 0)).toBe('DROP TABLE t');
  });

  it('counts UTF-8 bytes, not UTF-16 code units', () => {
    const text = "SELECT 'é😀'; DROP TABLE t";
    // 'é' is 2 bytes, '😀' is 4 bytes (and 2 UTF-16 code units): the second statement starts at byte 17.
    const slice = statementSlicer(text);
    expect(slice(0, 15)).toBe("SELECT 'é😀'");
    expect(slice(17, undefined)).toBe('DROP TABLE t');
    expect(slice(17, 12)).toBe('DROP TABLE t');
  });

  it('trims SQL whitespace around the statement', () => {
    expect(statementSlicer(' \n SELECT 1 \t\r\n')(0, undefined)).toBe('SELECT 1');
  });
});

describe('trimSqlWhitespace', () => {
  it.each([
    ['  a  ', 'a'],
    ['\t\n\v\f\ra\r\n', 'a'],
    ['a', 'a'],
    ['', ''],
    ['   ', ''],
    ['a\u00a0', 'a\u00a0'], // PostgreSQL reads U+00A0 as part of an identifier, not as space
    ['\u2028a', '\u2028a'],
  ])('%j -> %j', (input, output) => {
    expect(trimSqlWhitespace(input)).toBe(output);
  });
});
