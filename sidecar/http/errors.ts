/**
 * The proxy's own answers, always JSON so an agent (and its LLM) can read why: a denial names the
 * policy and rule (DESIGN.md §10, "denials in the protocol's own words").
 */
import type { ServerResponse } from 'node:http';

export interface ProxyErrorBody {
  error: string;
  reason: string;
  policy?: string;
  rule?: string;
  approvalRequest?: string;
}

/**
 * Writes `status` with a JSON body. `close` asks the client to open a new connection, for answers
 * sent before the request body was read (the rest of it must not be parsed as a next request).
 */
export function sendJsonError(
  res: ServerResponse,
  status: number,
  body: ProxyErrorBody,
  options: { close?: boolean; headers?: Record<string, string> } = {},
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...(options.close ? { connection: 'close' } : {}),
    ...options.headers,
  });
  res.end(text);
}

/** The raw bytes for a parser-level refusal, when there is no ServerResponse (clientError). */
export function rawJsonError(status: number, statusText: string, body: ProxyErrorBody): string {
  const text = `${JSON.stringify(body)}\n`;
  return (
    `HTTP/1.1 ${status} ${statusText}\r\ncontent-type: application/json; charset=utf-8\r\n` +
    `content-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`
  );
}
