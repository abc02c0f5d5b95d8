/**
 * Kubernetes `Status` objects (meta/v1), the shape kubectl and client-go read every error in:
 * kubectl prints `Error from server (<reason>): <message>` for them, so a crewgate refusal reads
 * like any other refusal of the API server. Pure: rendering only.
 */

/** The `StatusReason`s crewgate answers with (k8s.io/apimachinery/pkg/apis/meta/v1/types.go). */
export type StatusReason =
  | 'Unauthorized'
  | 'Forbidden'
  | 'BadRequest'
  | 'NotAcceptable'
  | 'RequestEntityTooLarge'
  | 'ServiceUnavailable'
  | 'InternalError'
  | 'Timeout';

export interface KubernetesStatus {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure';
  message: string;
  reason: StatusReason;
  code: number;
  details?: { name?: string; group?: string; kind?: string };
}

export function kubernetesStatus(code: number, reason: StatusReason, message: string): KubernetesStatus {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

/** Headers of a Status response (JSON, never cached by an intermediary). */
export function statusHeaders(body: string): Record<string, string> {
  return {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(body)),
    'cache-control': 'no-cache, private',
  };
}

/**
 * A whole HTTP/1.1 response carrying a Status, for a raw socket (a refused upgrade, a request
 * the HTTP parser rejected) where no `ServerResponse` exists. It closes the connection.
 */
export function rawStatusResponse(code: number, reason: StatusReason, message: string): Buffer {
  const body = JSON.stringify(kubernetesStatus(code, reason, message));
  const head = [`HTTP/1.1 ${code} ${STATUS_TEXT[code] ?? 'Error'}`];
  for (const [k, v] of Object.entries(statusHeaders(body))) head.push(`${k}: ${v}`);
  head.push('connection: close');
  return Buffer.from(`${head.join('\r\n')}\r\n\r\n${body}`);
}

const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  406: 'Not Acceptable',
  413: 'Payload Too Large',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};
