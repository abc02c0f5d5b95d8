/**
 * Fields of a JSON request body for policy attributes. Only bodies that declare a JSON media
 * type are read (`application/json` or any `+json` suffix, RFC 6839), since that is what the
 * server behind will parse as JSON.
 */
import { compileJsonPath, selectJson } from './json-path.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** `application/json`, `application/merge-patch+json; charset=utf-8` and the like. */
export function isJsonMediaType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const mediaType = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  return mediaType === 'application/json' || /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+\+json$/.test(mediaType);
}

/** Attribute name for a body field path: `$.user.role` is `body.user.role`, `$.items[0]` is `body.items[0]`. */
export const bodyAttributeName = (path: string): string => `body${path.slice(1)}`;

export type BodyFields = { ok: true; fields: Record<string, string> } | { ok: false; reason: string };

/**
 * Reads the scalar values at `paths` (strings as they are, numbers and booleans stringified;
 * absent, null, object and array values are left out). A body that is not valid UTF-8 JSON, or
 * larger than `maxBytes`, is refused.
 */
export function readBodyFields(
  body: Uint8Array | string | undefined,
  paths: readonly string[],
  maxBytes: number,
): BodyFields {
  const compiled: Array<[string, ReturnType<typeof compileJsonPath>]> = paths.map((p) => [
    p,
    compileJsonPath(p),
  ]);
  const invalid = compiled.find(([, c]) => typeof c === 'string');
  if (invalid) return { ok: false, reason: `invalid body field path: ${invalid[1] as string}` };
  const size = typeof body === 'string' ? body.length : (body?.byteLength ?? 0);
  if (size === 0) return { ok: true, fields: {} };
  if (size > maxBytes) return { ok: false, reason: `the JSON body is larger than ${maxBytes} bytes` };
  let text: string;
  try {
    text = typeof body === 'string' ? body : utf8.decode(body);
  } catch {
    return { ok: false, reason: 'the JSON body is not valid UTF-8' };
  }
  let document: unknown;
  try {
    document = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    return {
      ok: false,
      reason: `the body is not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
  const fields: Record<string, string> = {};
  for (const [path, segments] of compiled) {
    const value = selectJson(document, segments as Exclude<typeof segments, string>);
    if (typeof value === 'string') fields[bodyAttributeName(path)] = value;
    else if (typeof value === 'number' || typeof value === 'boolean')
      fields[bodyAttributeName(path)] = String(value);
  }
  return { ok: true, fields };
}
