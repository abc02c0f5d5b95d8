/**
 * Kubernetes API requests to a {@link Classification} (DESIGN.md §4). The operation is the verb
 * RBAC would check, except that `exec`, `attach` and `portforward` are their own operations
 * (they open a shell or a tunnel into a pod, whatever the HTTP method). Resources are written
 * the way RBAC rules and `kubectl auth can-i` write them: `pods`, `pods/exec`,
 * `deployments.apps/scale`. For exec, the argv from the repeated `command=` parameters is the
 * text, and the programs it runs (`sh -c '...'` parsed as shell) are added as `program:<name>`.
 */
import { UNPARSEABLE, type Classification } from '../../core/command.js';
import { parseQuery, queryValues } from '../http/form-query.js';
import { programNames } from '../shell/classify-shell.js';
import { parseArgv } from '../shell/parse-shell.js';
import { isRequestInfoError, queryBool, requestInfo, type RequestInfo } from './request-info.js';

/** Subresources that become operations of their own. */
const STREAMING_SUBRESOURCES = new Set(['exec', 'attach', 'portforward']);

/** `resource[.group][/subresource]`, the RBAC spelling. */
export function qualifiedResource(info: Pick<RequestInfo, 'resource' | 'apiGroup' | 'subresource'>): string {
  const resource = info.apiGroup === '' ? info.resource : `${info.resource}.${info.apiGroup}`;
  return info.subresource === '' ? resource : `${resource}/${info.subresource}`;
}

/** The request line as the client wrote it, minus any scheme and host. */
function requestLine(method: string, url: string): string {
  const withoutOrigin = url.startsWith('/') ? url : url.replace(/^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/, '');
  return `${method} ${withoutOrigin === '' ? '/' : withoutOrigin}`;
}

/**
 * Classifies one Kubernetes API request. Never throws; a URL that cannot be read safely, a
 * resource request with a method the API server has no verb for, and an exec argv whose shell
 * script does not parse are `unparseable` with a `parseError` attribute.
 */
export function classifyKubernetesRequest(method: string, url: string): Classification {
  const line = requestLine(method, url);
  const unparseable = (reason: string): Classification => ({
    operations: [UNPARSEABLE],
    resources: [],
    text: line,
    attributes: { parseError: reason },
  });
  const info = requestInfo(method, url);
  if (isRequestInfoError(info)) return unparseable(info.message);
  if (!info.isResourceRequest)
    return { operations: [info.verb], resources: [info.path], text: line, attributes: {} };
  if (info.verb === '') return unparseable(`no Kubernetes verb for the method ${method}`);

  const attributes: Record<string, string | boolean> = {};
  if (info.namespace) attributes.namespace = info.namespace;
  if (info.name) attributes.name = info.name;
  if (info.apiGroup) attributes.apiGroup = info.apiGroup;
  if (info.subresource) attributes.subresource = info.subresource;
  const resources = [qualifiedResource(info)];
  const streaming = STREAMING_SUBRESOURCES.has(info.subresource) ? info.subresource : undefined;
  if (!streaming) return { operations: [info.verb], resources, text: line, attributes };

  // requestInfo has already accepted the query, so this parse succeeds.
  const query = parseQuery(url.includes('?') ? url.slice(url.indexOf('?') + 1) : '');
  const params = query.ok ? query.params : [];
  if (streaming === 'portforward') return { operations: ['portforward'], resources, text: line, attributes };

  const container = queryValues(params, 'container')[0];
  if (container !== undefined) attributes.container = container;
  for (const stream of ['tty', 'stdin', 'stdout', 'stderr'] as const) {
    attributes[stream] = queryBool(queryValues(params, stream));
  }
  if (streaming === 'attach') return { operations: ['attach'], resources, text: line, attributes };

  const argv = queryValues(params, 'command');
  if (argv.length === 0) return { operations: ['exec'], resources, text: line, attributes };
  const text = argv.join(' ');
  const parsed = parseArgv(argv);
  if (!parsed.ok)
    return {
      operations: [UNPARSEABLE],
      resources: [],
      text,
      attributes: { ...attributes, parseError: parsed.reason },
    };
  const programs = programNames(parsed.commands).map((p) => `program:${p}`);
  return { operations: ['exec'], resources: [...resources, ...programs], text, attributes };
}
