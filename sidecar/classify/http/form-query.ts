/**
 * Query strings as Go's `net/url.ParseQuery` reads them (the Kubernetes API server and many HTTP
 * backends): pairs split on `&`, key and value split on the first `=`, `+` is a space, order
 * and repeats kept. Where Go reports an error (a `;` separator, a bad escape) the whole query is
 * refused here, because Go's `URL.Query()` silently drops such pairs and a policy must not see
 * pairs the server ignores, or miss ones it reads.
 */
import { percentDecode } from './percent-encoding.js';

export type QueryParse = { ok: true; params: Array<[string, string]> } | { ok: false; reason: string };

export function parseQuery(raw: string): QueryParse {
  const params: Array<[string, string]> = [];
  if (raw === '') return { ok: true, params };
  for (const pair of raw.split('&')) {
    if (pair.includes(';')) return { ok: false, reason: 'a ";" separator in the query' };
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const key = percentDecode(eq < 0 ? pair : pair.slice(0, eq), true);
    const value = percentDecode(eq < 0 ? '' : pair.slice(eq + 1), true);
    if (key === undefined || value === undefined)
      return { ok: false, reason: `invalid percent-encoding in the query parameter "${pair}"` };
    params.push([key, value]);
  }
  return { ok: true, params };
}

/** All values of `name`, in order. */
export function queryValues(params: ReadonlyArray<readonly [string, string]>, name: string): string[] {
  return params.filter(([k]) => k === name).map(([, v]) => v);
}
