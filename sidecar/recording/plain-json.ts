/**
 * One pass that does what `JSON.parse(JSON.stringify(redactSecrets(value)))` does: every string
 * redacted, objects reduced to their own enumerable properties, `undefined` and functions dropped
 * from objects and written as `null` in arrays, non-finite numbers as `null`, `-0` as `0`. Sealing
 * an event needs its payload as plain JSON with credentials stripped; doing it in one walk instead
 * of a copy, a serialisation and a parse is a third of recording's cost per event on the HTTP
 * proxy's path. The result must be identical (the hash covers it): plain-json.test.ts checks it
 * against the three-step original on arbitrary values.
 */
import { redactString } from './redact.js';

export function plainRedacted(value: unknown): unknown {
  switch (typeof value) {
    case 'string':
      return redactString(value);
    case 'number':
      return Number.isFinite(value) ? (value === 0 ? 0 : value) : null;
    case 'boolean':
      return value;
    case 'bigint':
      throw new TypeError('Do not know how to serialize a BigInt');
    case 'object': {
      if (value === null) return null;
      if (Array.isArray(value)) {
        const out: unknown[] = new Array<unknown>(value.length);
        for (let i = 0; i < value.length; i++) {
          const v: unknown = value[i];
          out[i] = omitted(v) ? null : plainRedacted(v);
        }
        return out;
      }
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(value)) {
        const v: unknown = (value as Record<string, unknown>)[k];
        if (omitted(v)) continue;
        // An own "__proto__" key (JSON.parse makes one) must stay a key, not set the prototype.
        if (k === '__proto__')
          Object.defineProperty(out, k, {
            value: plainRedacted(v),
            enumerable: true,
            writable: true,
            configurable: true,
          });
        else out[k] = plainRedacted(v);
      }
      return out;
    }
    default:
      return undefined;
  }
}

/**
 * `canonicalJson(plainRedacted(value))` (canonical-json.ts) in one walk that builds no copy: the
 * text a sealed event's hash covers, straight from the event the adapter handed over. `omitKey`
 * leaves one key of the top-level object out (an event's `type`, which sealing writes apart from
 * the payload). The hash chain depends on this being byte-identical to the two steps;
 * plain-json.test.ts checks it on arbitrary values.
 */
export function canonicalRedactedJson(value: unknown, omitKey?: string): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(redactString(value));
    case 'number':
      // JSON.stringify writes -0 as 0, as plainRedacted makes it; a non-finite number becomes null.
      return Number.isFinite(value) ? JSON.stringify(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      throw new TypeError('Do not know how to serialize a BigInt');
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out += ',';
          const v: unknown = value[i];
          out += omitted(v) ? 'null' : canonicalRedactedJson(v);
        }
        return `${out}]`;
      }
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record).sort();
      let out = '{';
      let first = true;
      for (const k of keys) {
        if (k === omitKey) continue;
        const v = record[k];
        if (omitted(v)) continue;
        if (!first) out += ',';
        first = false;
        out += `${JSON.stringify(k)}:${canonicalRedactedJson(v)}`;
      }
      return `${out}}`;
    }
    default:
      throw new TypeError(`canonical JSON cannot hold a ${typeof value}`);
  }
}

/** What JSON.stringify leaves out of an object (and writes as null in an array). */
function omitted(v: unknown): boolean {
  return v === undefined || typeof v === 'function' || typeof v === 'symbol';
}
