import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { framingProblem, recordedHeaders, stripResponseHopByHop, upstreamHeaders } from './headers.js';

const plan = {
  host: 'api:8443',
  credentialHeader: 'authorization',
  credentialValue: 'Bearer upstream',
  identityEncoding: false,
};

describe('upstreamHeaders', () => {
  it('drops hop-by-hop headers, those Connection names, and the agent token; sets Host and the credential', () => {
    const out = upstreamHeaders(
      {
        host: '127.0.0.1:18080',
        authorization: 'Bearer agent-token',
        connection: 'keep-alive, x-secret-hop',
        'x-secret-hop': '1',
        'proxy-authorization': 'Basic x',
        'proxy-connection': 'keep-alive',
        te: 'trailers',
        expect: '100-continue',
        'content-type': 'application/json',
        'content-length': '2',
        'accept-encoding': 'gzip',
      },
      plan,
    );
    expect(out).toEqual({
      host: 'api:8443',
      authorization: 'Bearer upstream',
      'content-type': 'application/json',
      'content-length': '2',
      'accept-encoding': 'gzip',
    });
  });
  it('replaces a credential header the agent sent, asks for identity encoding when masking, sizes buffered bodies', () => {
    const out = upstreamHeaders(
      { 'x-api-key': 'forged', 'transfer-encoding': 'chunked', 'accept-encoding': 'gzip, br' },
      {
        ...plan,
        credentialHeader: 'x-api-key',
        credentialValue: 'real',
        identityEncoding: true,
        bufferedLength: 7,
      },
    );
    expect(out).toEqual({
      host: 'api:8443',
      'x-api-key': 'real',
      'accept-encoding': 'identity',
      'content-length': '7',
    });
    expect(upstreamHeaders({ 'transfer-encoding': 'chunked' }, plan)['transfer-encoding']).toBe('chunked');
  });
});

describe('framingProblem', () => {
  const req = (rawHeaders: string[], httpVersion = '1.1') => {
    const headers: Record<string, string> = {};
    for (let i = 0; i < rawHeaders.length; i += 2)
      headers[rawHeaders[i]!.toLowerCase()] ??= rawHeaders[i + 1]!;
    return { rawHeaders, headers, httpVersion } as unknown as IncomingMessage;
  };
  it.each([
    [['Transfer-Encoding', 'gzip, chunked'], /unsupported Transfer-Encoding/],
    [['Host', 'a', 'host', 'b'], /more than one host/],
    [['Authorization', 'Bearer a', 'Authorization', 'Bearer b'], /more than one authorization/],
    [['Content-Type', 'application/json', 'Content-Type', 'text/plain'], /more than one content-type/],
  ])('refuses %j', (raw, reason) => {
    expect(framingProblem(req(raw))).toMatch(reason);
  });
  it('refuses Transfer-Encoding in HTTP/1.0 and accepts ordinary requests', () => {
    expect(framingProblem(req(['Transfer-Encoding', 'chunked'], '1.0'))).toMatch(/HTTP\/1\.0/);
    expect(
      framingProblem(req(['Host', 'a', 'Transfer-Encoding', 'Chunked', 'Accept', 'a', 'Accept', 'b'])),
    ).toBeUndefined();
  });
});

describe('response headers', () => {
  it('strips hop-by-hop headers but keeps framing for the relay', () => {
    const headers = {
      connection: 'close, x-hop',
      'x-hop': '1',
      'keep-alive': 'timeout=5',
      'transfer-encoding': 'chunked',
      etag: 'e',
    };
    stripResponseHopByHop(headers);
    expect(headers).toEqual({ 'transfer-encoding': 'chunked', etag: 'e' });
  });
  it('records an allow-list, never credentials or cookies', () => {
    expect(
      recordedHeaders(
        {
          authorization: 'a',
          cookie: 'c',
          'set-cookie': ['s'],
          'content-type': 'application/json',
          'x-request-id': 'r',
          'user-agent': 'u',
        },
        'x-request-id',
      ),
    ).toEqual({ 'content-type': 'application/json', 'user-agent': 'u' });
  });
});
