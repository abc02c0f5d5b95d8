import { describe, expect, it } from 'vitest';
import { columnMatches, parseColumnSelector } from './column-selector.js';

const sel = (s: string) => {
  const r = parseColumnSelector(s);
  if (!r.ok) throw new Error(r.error);
  return r.selector;
};

describe('column selectors', () => {
  it('a bare column matches in any table, known or not', () => {
    expect(columnMatches(sel('email'), { name: 'email' })).toBe(true);
    expect(columnMatches(sel('email'), { name: 'EMAIL', table: 'public.customers' })).toBe(true);
    expect(columnMatches(sel('email'), { name: 'email2' })).toBe(false);
  });

  it('table.column needs the table to be known and equal', () => {
    expect(columnMatches(sel('customers.email'), { name: 'email', table: 'customers' })).toBe(true);
    expect(columnMatches(sel('customers.email'), { name: 'email', table: 'public.customers' })).toBe(true);
    expect(columnMatches(sel('customers.email'), { name: 'email', table: 'staff' })).toBe(false);
    expect(columnMatches(sel('customers.email'), { name: 'email' })).toBe(false);
    expect(columnMatches(sel('customers.email'), { name: 'email', table: '' })).toBe(false);
  });

  it('schema.table.column matches that schema, or an unqualified table of that name', () => {
    expect(columnMatches(sel('public.customers.email'), { name: 'email', table: 'public.customers' })).toBe(
      true,
    );
    expect(columnMatches(sel('public.customers.email'), { name: 'email', table: 'customers' })).toBe(true);
    expect(columnMatches(sel('public.customers.email'), { name: 'email', table: 'sales.customers' })).toBe(
      false,
    );
  });

  it('refuses malformed selectors', () => {
    for (const s of ['', '.email', 'a..b', 'a.b.c.d']) expect(parseColumnSelector(s).ok).toBe(false);
  });
});
