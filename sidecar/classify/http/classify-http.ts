/**
 * HTTP requests to a {@link Classification} (DESIGN.md §4): the operation is `http.<method>`,
 * the resource is the normalised path, and query parameters and chosen JSON body fields become
 * attributes a rule can match. Anything ambiguous about the URL is `unparseable`.
 */
import { UNPARSEABLE, type Classification } from '../../core/command.js';
import { parseQuery } from './form-query.js';
import { isJsonMediaType, readBodyFields } from './json-body.js';
import { normalisePath } from './normalise-path.js';
import { splitRequestTarget } from './request-target.js';

export interface HttpRequest {
  method: string;
  /** The request-target as sent: `/path?query`, or `http://host/path?query` through a proxy. */
  url: string;
  contentType?: string;
  body?: Uint8Array | string;
}

export interface HttpClassifyOptions {
  /** JSONPaths (`$.user.role`, `$.items[0].id`) whose values become `body.*` attributes. */
  bodyFields?: string[];
  /** Bodies larger than this are not parsed for fields (the request is unparseable). Default 1 MiB. */
  maxBodyBytes?: number;
}

/** Request targets longer than this are refused. */
export const MAX_HTTP_TARGET_LENGTH = 8 * 1024;

/** RFC 9110 §5.6.2 token characters: the only ones a method may contain. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Classifies one HTTP request. Never throws: input that cannot be read unambiguously yields the
 * `unparseable` operation with a `parseError` attribute.
 */
export function classifyHttp(request: HttpRequest, options: HttpClassifyOptions = {}): Classification {
  const { method, url } = request;
  const unparseable = (reason: string): Classification => ({
    operations: [UNPARSEABLE],
    resources: [],
    text: `${method} ${url}`,
    attributes: { parseError: reason },
  });
  try {
    if (!TOKEN.test(method)) return unparseable('the method is not an HTTP token');
    if (url.length > MAX_HTTP_TARGET_LENGTH)
      return unparseable(`the URL is longer than ${MAX_HTTP_TARGET_LENGTH} characters`);
    const target = splitRequestTarget(url);
    if (typeof target === 'string') return unparseable(target);
    const path = normalisePath(target.path);
    if ('reason' in path) return unparseable(path.reason);
    const query = parseQuery(target.query ?? '');
    if (!query.ok) return unparseable(query.reason);

    const attributes: Record<string, string | boolean> = {};
    if (target.authority !== undefined) attributes.host = target.authority.toLowerCase();
    for (const [name, value] of query.params) {
      const key = `query.${name}`;
      if (!Object.hasOwn(attributes, key)) attributes[key] = value;
    }
    const fields = options.bodyFields ?? [];
    if (fields.length > 0 && isJsonMediaType(request.contentType)) {
      const body = readBodyFields(request.body, fields, options.maxBodyBytes ?? 1024 * 1024);
      if (!body.ok) return unparseable(body.reason);
      Object.assign(attributes, body.fields);
    }
    const text = `${method} ${target.path}${target.query !== undefined ? `?${target.query}` : ''}`;
    return { operations: [`http.${method.toLowerCase()}`], resources: [path.path], text, attributes };
  } catch (error) {
    return unparseable(`internal error: ${error instanceof Error ? error.message : String(error)}`);
  }
}
