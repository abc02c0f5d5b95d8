/**
 * What a Kubernetes API request does, read from its method and URL the way the API server reads
 * it for authorization: a port of `RequestInfoFactory.NewRequestInfo` in
 * k8s.io/apiserver/pkg/endpoints/request/requestinfo.go (kubernetes/kubernetes), with
 * `APIPrefixes = {api, apis}` and `GrouplessAPIPrefixes = {api}` as the kube-apiserver configures
 * it. Using the server's own rules means a policy on `pods/exec` sees exactly what RBAC would.
 *
 * Where the Go code trusts the HTTP stack (Go's router and `url.Parse`), this port checks the
 * URL first and refuses anything a proxy and a server could read differently: dot segments,
 * `//`, encoded `/` or `.`, NUL, malformed escapes or queries, and oversized URLs. Those come back
 * as a {@link RequestInfoError} value; this module never throws.
 */
import { parseQuery, queryValues } from '../http/form-query.js';
import { percentDecode } from '../http/percent-encoding.js';
import { splitRequestTarget } from '../http/request-target.js';

export interface RequestInfo {
  /** The request is for an API resource or subresource (not `/version`, `/healthz`, discovery). */
  isResourceRequest: boolean;
  /** The percent-decoded URL path. */
  path: string;
  /**
   * The Kubernetes verb (`get`, `list`, `watch`, `create`, `update`, `patch`, `delete`,
   * `deletecollection`, `proxy`); for non-resource requests the lower-case HTTP method. Empty
   * when a resource request uses a method the API server has no verb for.
   */
  verb: string;
  apiPrefix: string;
  apiGroup: string;
  apiVersion: string;
  namespace: string;
  resource: string;
  subresource: string;
  name: string;
  /** The path parts from the resource on: `[resource, name, subresource, ...]`. */
  parts: string[];
  /** `fieldSelector` of list, watch and deletecollection requests (AuthorizeWithSelectors). */
  fieldSelector?: string;
  /** `labelSelector` of list, watch and deletecollection requests (AuthorizeWithSelectors). */
  labelSelector?: string;
}

export type RequestInfoErrorKind = 'too-long' | 'bad-target' | 'unclean-path' | 'bad-query' | 'no-resource';

/** A request that cannot be read safely. A value, not an exception. */
export interface RequestInfoError {
  error: RequestInfoErrorKind;
  message: string;
}

export function isRequestInfoError(value: RequestInfo | RequestInfoError): value is RequestInfoError {
  return 'error' in value;
}

/** URLs longer than this are refused. */
export const MAX_KUBERNETES_URL_LENGTH = 8 * 1024;

const API_PREFIXES = new Set(['api', 'apis']);
const GROUPLESS_API_PREFIXES = new Set(['api']);
/** Path prefixes that are verbs (the deprecated `/api/v1/watch/...` and `/api/v1/proxy/...`). */
const SPECIAL_VERBS = new Set(['proxy', 'watch']);
/** Verbs-by-path that take no subresource: everything after the name is the proxied path. */
const SPECIAL_VERBS_NO_SUBRESOURCES = new Set(['proxy']);
/** Subresources of a namespace, as opposed to resources inside it. */
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);
const VERBS_WITH_SELECTORS = new Set(['list', 'watch', 'deletecollection']);

const METHOD_VERBS: Readonly<Record<string, string>> = {
  POST: 'create',
  GET: 'get',
  HEAD: 'get',
  PUT: 'update',
  PATCH: 'patch',
  DELETE: 'delete',
};

const fail = (error: RequestInfoErrorKind, message: string): RequestInfoError => ({ error, message });

/**
 * The decoded path segments, or an error when the path is not clean. Go's `url.Parse` decodes
 * escapes in the path before the API server splits it, so `%2F` would make a new segment and
 * `%2E%2E` a `..` that some proxies resolve and others do not: both are refused outright.
 */
function cleanSegments(rawPath: string): string[] | RequestInfoError {
  if (rawPath.includes('//')) return fail('unclean-path', 'the path contains "//"');
  const trimmed = rawPath.replace(/^\/+|\/+$/g, '');
  if (trimmed === '') return [];
  const segments: string[] = [];
  for (const raw of trimmed.split('/')) {
    if (/%2f|%2e|%00|%5c/i.test(raw))
      return fail('unclean-path', `the path segment "${raw}" encodes "/", ".", "\\" or NUL`);
    const segment = percentDecode(raw);
    if (segment === undefined)
      return fail('unclean-path', `the path segment "${raw}" has invalid percent-encoding`);
    if (segment === '.' || segment === '..')
      return fail('unclean-path', 'the path contains a "." or ".." segment');
    if (segment.includes('\\')) return fail('unclean-path', 'the path contains a backslash');
    segments.push(segment);
  }
  return segments;
}

/**
 * The `metadata.name` a field selector pins, as `fields.Selector.RequiresExactMatch` finds it
 * (k8s.io/apimachinery/pkg/fields/selector.go): terms split on unescaped `,`, `=` or `==`
 * operators, `\` escapes. Only a name that is a valid path segment counts, as upstream checks.
 */
function fieldSelectorName(selector: string): string | undefined {
  const terms: string[] = [];
  let current = '';
  for (let i = 0; i < selector.length; i++) {
    const c = selector[i] as string;
    if (c === '\\' && i + 1 < selector.length) {
      current += c + selector[++i];
    } else if (c === ',') {
      terms.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  terms.push(current);
  for (const term of terms) {
    const m = /^(.*?)(!=|==|=)(.*)$/s.exec(term);
    if (!m || (m[1] as string).trim() !== 'metadata.name' || m[2] === '!=') continue;
    const name = (m[3] as string).replace(/\\(.)/g, '$1');
    if (name === '.' || name === '..' || /[/%]/.test(name)) return undefined;
    return name;
  }
  return undefined;
}

/** `watch=...` as the API server converts a query parameter to a bool: anything but `0`/`false` is true. */
export function queryBool(values: readonly string[]): boolean {
  const first = values[0];
  return first !== undefined && first !== '0' && first.toLowerCase() !== 'false';
}

/**
 * Reads a Kubernetes API request line. `url` is the request-target as sent (`/api/v1/...?...`,
 * or an absolute URL through a proxy); `method` is the HTTP method, case-sensitive as in Go.
 */
export function requestInfo(method: string, url: string): RequestInfo | RequestInfoError {
  if (url.length > MAX_KUBERNETES_URL_LENGTH)
    return fail('too-long', `the URL is longer than ${MAX_KUBERNETES_URL_LENGTH} characters`);
  if (url.includes('\0')) return fail('bad-target', 'the URL contains a NUL byte');
  const target = splitRequestTarget(url);
  if (typeof target === 'string') return fail('bad-target', target);
  let parts = cleanSegments(target.path);
  if (!Array.isArray(parts)) return parts;
  const query = parseQuery(target.query ?? '');
  if (!query.ok) return fail('bad-query', query.reason);
  const params = query.params;

  const info: RequestInfo = {
    isResourceRequest: false,
    path: parts.length === 0 ? '/' : `/${parts.join('/')}${target.path.endsWith('/') ? '/' : ''}`,
    verb: method.toLowerCase(),
    apiPrefix: '',
    apiGroup: '',
    apiVersion: '',
    namespace: '',
    resource: '',
    subresource: '',
    name: '',
    parts: [],
  };

  // Non-resource requests: fewer than three parts, or not under /api or /apis.
  if (parts.length < 3 || !API_PREFIXES.has(parts[0] as string)) return info;
  info.apiPrefix = parts[0] as string;
  parts = parts.slice(1);
  if (!GROUPLESS_API_PREFIXES.has(info.apiPrefix)) {
    // /apis/{group}/{version}/... needs one more part than /api/{version}/....
    if (parts.length < 3) return info;
    info.apiGroup = parts[0] as string;
    parts = parts.slice(1);
  }
  info.isResourceRequest = true;
  info.apiVersion = parts[0] as string;
  parts = parts.slice(1);

  let verbViaPathPrefix = false;
  if (SPECIAL_VERBS.has(parts[0] as string)) {
    if (parts.length < 2)
      return fail('no-resource', `unable to determine kind and namespace from ${target.path}`);
    info.verb = parts[0] as string;
    parts = parts.slice(1);
    verbViaPathPrefix = true;
  } else {
    info.verb = METHOD_VERBS[method] ?? '';
  }

  // /namespaces/{namespace}/{resource}/...: parts become relative to the resource, unless the
  // next part is a subresource of the namespace itself.
  if (parts[0] === 'namespaces') {
    if (parts.length > 1) {
      info.namespace = parts[1] as string;
      if (parts.length > 2 && !NAMESPACE_SUBRESOURCES.has(parts[2] as string)) parts = parts.slice(2);
    }
  }
  info.parts = parts;

  // resource/name/subresource/anything/else
  if (parts.length >= 3 && !SPECIAL_VERBS_NO_SUBRESOURCES.has(info.verb))
    info.subresource = parts[2] as string;
  if (parts.length >= 2) info.name = parts[1] as string;
  if (parts.length >= 1) info.resource = parts[0] as string;

  // No name and a get: a list, or a watch if ?watch= says so. A field selector on
  // metadata.name names the object (kubectl get pod x --watch).
  if (info.name === '' && info.verb === 'get') {
    info.verb = queryBool(queryValues(params, 'watch')) ? 'watch' : 'list';
    const selector = queryValues(params, 'fieldSelector')[0];
    const name = selector === undefined ? undefined : fieldSelectorName(selector);
    if (name !== undefined) info.name = name;
  }
  // No name and a delete: the whole collection.
  if (info.name === '' && info.verb === 'delete') info.verb = 'deletecollection';

  if (!verbViaPathPrefix && VERBS_WITH_SELECTORS.has(info.verb)) {
    const fieldSelector = queryValues(params, 'fieldSelector')[0];
    const labelSelector = queryValues(params, 'labelSelector')[0];
    if (fieldSelector !== undefined) info.fieldSelector = fieldSelector;
    if (labelSelector !== undefined) info.labelSelector = labelSelector;
  }
  return info;
}
