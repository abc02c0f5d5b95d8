/**
 * The canonical serialisation the hash chain is computed over. It has to give the same bytes for
 * an event read back from the spool (JSON text) and from the store (jsonb, which reorders keys and
 * drops duplicate ones), so it is defined on the JSON value, not on any one text of it:
 *
 * - objects: keys sorted by UTF-16 code units (JavaScript's default sort), `"key":value` joined
 *   with `,` inside `{}`; keys whose value is `undefined` are left out (as JSON.stringify does);
 * - arrays: elements joined with `,` inside `[]`;
 * - strings, numbers, booleans, null: exactly as `JSON.stringify` writes them;
 * - no whitespace anywhere.
 *
 * Numbers must be finite; events only carry integers (counts, sizes, milliseconds), which survive
 * a jsonb round trip unchanged.
 */
export function canonicalJson(value: unknown): string {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonical JSON cannot hold the number ${value}`);
      return JSON.stringify(value);
    case 'object': {
      if (value === null) return 'null';
      // Written as loops: this runs for every recorded event, on the proxy's hot path.
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out += ',';
          const v: unknown = value[i];
          out += v === undefined ? 'null' : canonicalJson(v);
        }
        return `${out}]`;
      }
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record).sort();
      let out = '{';
      let first = true;
      for (const k of keys) {
        const v = record[k];
        if (v === undefined) continue;
        if (!first) out += ',';
        first = false;
        out += `${JSON.stringify(k)}:${canonicalJson(v)}`;
      }
      return `${out}}`;
    }
    default:
      throw new TypeError(`canonical JSON cannot hold a ${typeof value}`);
  }
}
