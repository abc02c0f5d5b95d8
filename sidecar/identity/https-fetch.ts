/**
 * A `fetch` for jose and openid-client that trusts exactly the CA bundle an issuer is configured
 * with (an in-cluster issuer is rarely signed by a public CA). Node 20's global fetch cannot take
 * a per-call trust store without reaching into undici, so this speaks node:https directly.
 */
import { request } from 'node:https';

export interface FetchInit {
  method?: string;
  headers?: Headers | Record<string, string>;
  body?: unknown;
  signal?: AbortSignal | null;
}

export type FetchLike = (url: string | URL, init?: FetchInit) => Promise<Response>;

const MAX_BODY_BYTES = 1024 * 1024;

export function trustingFetch(caCertificates: string[] | undefined, timeoutMs = 5_000): FetchLike {
  return (url, init = {}) =>
    new Promise<Response>((resolve, reject) => {
      const headers = new Headers(init.headers);
      const req = request(
        url,
        {
          method: init.method ?? 'GET',
          headers: Object.fromEntries(headers.entries()),
          ca: caCertificates && caCertificates.length > 0 ? caCertificates : undefined,
          timeout: timeoutMs,
          signal: init.signal ?? undefined,
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_BODY_BYTES) {
              req.destroy(new Error(`response from ${String(url)} exceeds ${MAX_BODY_BYTES} bytes`));
              return;
            }
            chunks.push(chunk);
          });
          res.on('end', () => {
            const responseHeaders = new Headers();
            for (const [name, value] of Object.entries(res.headers)) {
              if (typeof value === 'string') responseHeaders.set(name, value);
              else if (Array.isArray(value)) for (const v of value) responseHeaders.append(name, v);
            }
            resolve(
              new Response(Buffer.concat(chunks), {
                status: res.statusCode ?? 502,
                headers: responseHeaders,
              }),
            );
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () =>
        req.destroy(new Error(`request to ${String(url)} timed out after ${timeoutMs} ms`)),
      );
      req.on('error', reject);
      if (typeof init.body === 'string' || init.body instanceof Uint8Array) req.end(init.body);
      else req.end();
    });
}
