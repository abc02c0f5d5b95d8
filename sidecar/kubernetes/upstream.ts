/**
 * The Connection's API server for one session: base URL, TLS trust, the Connection's bearer
 * token and, when `spec.kubernetes.impersonate` is set, the agent's identity as impersonation
 * headers. Everything that talks to the API server (ordinary requests, the exec path's pod
 * lookups and upgrades) builds its requests here, so the credentials are attached in one place.
 */
import { createHash } from 'node:crypto';
import {
  Agent as HttpAgent,
  request as httpRequest,
  type OutgoingHttpHeaders,
  type RequestOptions,
} from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { ClientRequest, IncomingMessage } from 'node:http';
import type { ResolvedTarget } from '../adapters/protocol-adapter.js';
import type { Identity } from '../core/command.js';
import { impersonationHeaders } from './headers.js';

/** The Connection cannot be used as a Kubernetes target (bad address, missing token, TLS mismatch). */
export class KubernetesTargetError extends Error {
  override name = 'KubernetesTargetError';
  constructor(
    message: string,
    readonly connection: string,
  ) {
    super(message);
  }
}

/** A buffered answer of {@link KubernetesUpstream.request}. */
export interface UpstreamResponse {
  status: number;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

/**
 * Keep-alive agents shared by the sessions of one listener, one per distinct TLS trust, so a
 * kubectl invocation's dozen requests do not each pay a TLS handshake to the API server.
 */
export class UpstreamAgents {
  private readonly agents = new Map<string, HttpAgent>();

  agentFor(url: URL, tls: { ca?: string[]; servername?: string; rejectUnauthorized: boolean }): HttpAgent {
    const ca = tls.ca ? createHash('sha256').update(tls.ca.join('\n')).digest('hex') : 'system';
    const key = `${url.protocol}//${url.host}|${tls.servername ?? ''}|${tls.rejectUnauthorized}|${ca}`;
    let agent = this.agents.get(key);
    if (!agent) {
      agent =
        url.protocol === 'https:'
          ? new HttpsAgent({
              keepAlive: true,
              ...(tls.ca ? { ca: tls.ca } : {}),
              ...(tls.servername ? { servername: tls.servername } : {}),
              rejectUnauthorized: tls.rejectUnauthorized,
            })
          : new HttpAgent({ keepAlive: true });
      this.agents.set(key, agent);
    }
    return agent;
  }

  destroy(): void {
    for (const agent of this.agents.values()) agent.destroy();
    this.agents.clear();
  }
}

export class KubernetesUpstream {
  /** The API server's base URL (`spec.address`). */
  readonly baseUrl: URL;
  /** The path of `baseUrl` without a trailing slash (`''` for the usual `https://host:6443`). */
  private readonly basePath: string;
  readonly token: string;
  /** PEM CAs to trust; undefined means the system store. */
  readonly caCertificates?: string[];
  readonly servername?: string;
  /** False only for `tls.mode: require` (encrypted, unverified: not recommended). */
  readonly rejectUnauthorized: boolean;
  /** `Impersonate-User` / `Impersonate-Group` for the caller, empty when the Connection does not impersonate. */
  readonly impersonation: Readonly<OutgoingHttpHeaders>;
  private readonly agent: HttpAgent;

  constructor(connection: string, target: ResolvedTarget, identity: Identity, agents: UpstreamAgents) {
    let url: URL;
    try {
      url = new URL(target.spec.address);
    } catch {
      throw new KubernetesTargetError(
        `spec.address ${JSON.stringify(target.spec.address)} is not a URL`,
        connection,
      );
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
      throw new KubernetesTargetError(`spec.address must be an http(s) URL, not ${url.protocol}`, connection);
    if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '')
      throw new KubernetesTargetError(
        'spec.address must not carry a query, fragment or user info',
        connection,
      );
    const mode = target.spec.tls?.mode ?? 'verify-full';
    if (url.protocol === 'https:' && mode === 'disable')
      throw new KubernetesTargetError('spec.address is https:// but spec.tls.mode is disable', connection);
    if (url.protocol === 'http:' && target.spec.tls !== undefined && mode !== 'disable')
      throw new KubernetesTargetError(`spec.address is http:// but spec.tls.mode is ${mode}`, connection);
    const token = target.credentials.token;
    if (token === undefined || token === '')
      throw new KubernetesTargetError('the Connection Secret has no `token` key', connection);
    this.baseUrl = url;
    this.basePath = url.pathname.replace(/\/+$/, '');
    this.token = token;
    if (target.caCertificates) this.caCertificates = target.caCertificates;
    if (target.spec.tls?.serverName) this.servername = target.spec.tls.serverName;
    this.rejectUnauthorized = mode !== 'require';
    this.impersonation = target.spec.kubernetes?.impersonate ? impersonationHeaders(identity) : {};
    this.agent = agents.agentFor(url, {
      ...(this.caCertificates ? { ca: this.caCertificates } : {}),
      ...(this.servername ? { servername: this.servername } : {}),
      rejectUnauthorized: this.rejectUnauthorized,
    });
  }

  /** The headers that authenticate (and impersonate) every request to the API server. */
  authHeaders(): OutgoingHttpHeaders {
    return { authorization: `Bearer ${this.token}`, ...this.impersonation };
  }

  /**
   * Options for a request to `pathAndQuery` (`/api/v1/...?...`, already checked by the
   * classifier). `headers` are the caller's; the credentials are added last so nothing overrides them.
   */
  requestOptions(method: string, pathAndQuery: string, headers: OutgoingHttpHeaders = {}): RequestOptions {
    const path = `${this.basePath}${pathAndQuery.startsWith('/') ? '' : '/'}${pathAndQuery}`;
    return {
      protocol: this.baseUrl.protocol,
      hostname: this.baseUrl.hostname.replace(/^\[|\]$/g, ''),
      port: this.baseUrl.port || (this.baseUrl.protocol === 'https:' ? 443 : 80),
      method,
      path,
      agent: this.agent,
      headers: { ...headers, host: this.baseUrl.host, ...this.authHeaders() },
    };
  }

  /** Starts a streaming request; the caller writes the body and reads the response. */
  open(method: string, pathAndQuery: string, headers: OutgoingHttpHeaders = {}): ClientRequest {
    const options = this.requestOptions(method, pathAndQuery, headers);
    return this.baseUrl.protocol === 'https:' ? httpsRequest(options) : httpRequest(options);
  }

  /**
   * One authenticated request with a buffered answer (e.g. the exec path reading the target pod).
   * Bodies over `maxBytes` (default 8 MiB) abort the request rather than grow without bound.
   */
  request(
    method: string,
    pathAndQuery: string,
    options: {
      headers?: OutgoingHttpHeaders;
      body?: string | Buffer;
      maxBytes?: number;
      signal?: AbortSignal;
    } = {},
  ): Promise<UpstreamResponse> {
    const maxBytes = options.maxBytes ?? 8 * 1024 * 1024;
    return new Promise((resolve, reject) => {
      const req = this.open(method, pathAndQuery, { accept: 'application/json', ...options.headers });
      const abort = () => req.destroy(new Error('the request was aborted'));
      options.signal?.addEventListener('abort', abort, { once: true });
      req.on('error', (error) => {
        options.signal?.removeEventListener('abort', abort);
        reject(error);
      });
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > maxBytes) {
            req.destroy(new Error(`the API server's answer is larger than ${maxBytes} bytes`));
            return;
          }
          chunks.push(c);
        });
        res.on('end', () => {
          options.signal?.removeEventListener('abort', abort);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
        });
        res.on('error', reject);
      });
      req.end(options.body);
    });
  }
}
