import { describe, expect, it } from 'vitest';
import { parseQuery, queryValues } from './form-query.js';
import { percentDecode } from './percent-encoding.js';
import { splitRequestTarget } from './request-target.js';

describe('parseQuery (Go net/url.ParseQuery)', () => {
  it('keeps order and repeats, splits on the first =, decodes + and escapes', () => {
    const parsed = parseQuery('command=sh&command=-c&command=rm+-rf+%2Fdata&a=b=c&&flag');
    expect(parsed).toEqual({
      ok: true,
      params: [
        ['command', 'sh'],
        ['command', '-c'],
        ['command', 'rm -rf /data'],
        ['a', 'b=c'],
        ['flag', ''],
      ],
    });
    expect(parsed.ok && queryValues(parsed.params, 'command')).toEqual(['sh', '-c', 'rm -rf /data']);
  });

  it('refuses what Go reports as an error', () => {
    expect(parseQuery('a=1;b=2')).toMatchObject({ ok: false });
    expect(parseQuery('a=%')).toMatchObject({ ok: false });
    expect(parseQuery('a=%g0')).toMatchObject({ ok: false });
  });
});

describe('percentDecode', () => {
  it('decodes UTF-8 and refuses malformed input', () => {
    expect(percentDecode('caf%C3%A9')).toBe('café');
    expect(percentDecode('a+b')).toBe('a+b');
    expect(percentDecode('a+b', true)).toBe('a b');
    expect(percentDecode('%C3')).toBeUndefined();
    expect(percentDecode('%ff')).toBeUndefined();
    expect(percentDecode('%4')).toBeUndefined();
  });
});

describe('splitRequestTarget', () => {
  it('splits origin-form and absolute-form targets without normalising', () => {
    expect(splitRequestTarget('/a/../b?x=1?y')).toEqual({ path: '/a/../b', query: 'x=1?y' });
    expect(splitRequestTarget('/a?')).toEqual({ path: '/a', query: '' });
    expect(splitRequestTarget('HTTP://h:1?q')).toEqual({ authority: 'h:1', path: '/', query: 'q' });
  });

  it('refuses other forms', () => {
    expect(splitRequestTarget('*')).toEqual(expect.any(String));
    expect(splitRequestTarget('h:443')).toEqual(expect.any(String));
    expect(splitRequestTarget('/a\tb')).toEqual(expect.any(String));
  });
});
