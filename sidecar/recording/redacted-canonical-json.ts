/**
 * The canonical text (canonical-json.ts) of an event with every string redacted, in one walk that
 * builds no copy. Its definition is `canonicalJson(JSON.parse(JSON.stringify(redactSecrets(v))))`:
 * objects reduced to their own enumerable properties, `undefined` and functions dropped from
 * objects and written as `null` in arrays, non-finite numbers as `null`, `-0` as `0`. Doing it in
 * one walk instead of a copy, a serialisation, a parse and a second walk is most of what sealing
 * an event costs on the HTTP proxy's path. The hash chain depends on the bytes being identical:
 * redacted-canonical-json.test.ts checks them against the definition on arbitrary values.
 */
import { redactString } from './redact.js';

/**
 * The text a sealed event's hash covers, straight from the event the adapter handed over.
 * `omitKey` leaves one key of the top-level object out (an event's `type`, which sealing writes
 * apart from the payload).
 */
export function canonicalRedactedJson(value: unknown, omitKey?: string): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(redactString(value));
    case 'number':
      // JSON.stringify writes -0 as 0; a non-finite number becomes null.
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
