import { describe, expect, it } from 'vitest';
import {
  downstreamResponseHeaders,
  impersonationHeaders,
  isJsonMediaType,
  jsonOnlyAccept,
  upstreamRequestHeaders,
} from './headers.js';

describe('headers toward the API server', () => {
  const client = {
    host: '127.0.0.1:6443',
    authorization: 'Bearer agent-oidc-token',
    cookie: 'session=1',
    'impersonate-user': 'system:admin',
    'impersonate-group': 'system:masters',
    'Impersonate-Uid': '0',
    'impersonate-extra-scopes': 'all',
    connection: 'keep-alive, x-hop',
    'x-hop': 'per-connection',
    'keep-alive': 'timeout=5',
    'proxy-authorization': 'Basic eA==',
    'transfer-encoding': 'chunked',
    te: 'trailers',
    upgrade: 'websocket',
    accept: 'application/json',
    'accept-encoding': 'gzip',
    'content-type': 'application/json',
    'user-agent': 'kubectl/v1.36.3',
  };

  it('never carries the agent credentials, its Impersonate-* headers or hop-by-hop headers', () => {
    const out = upstreamRequestHeaders(client, { dropAcceptEncoding: false });
    expect(out).toEqual({
      accept: 'application/json',
      'accept-encoding': 'gzip',
      'content-type': 'application/json',
      'user-agent': 'kubectl/v1.36.3',
    });
  });

  it('drops Accept-Encoding when the answer must be read to be masked', () => {
    expect(upstreamRequestHeaders(client, { dropAcceptEncoding: true })).not.toHaveProperty(
      'accept-encoding',
    );
  });

  it('impersonates the subject and each of its groups', () => {
    expect(impersonationHeaders({ subject: 'agent-analyst', groups: ['crewai-viewer', 'x'] })).toEqual({
      'impersonate-user': 'agent-analyst',
      'impersonate-group': ['crewai-viewer', 'x'],
    });
    expect(impersonationHeaders({ subject: 'a', groups: [] })).toEqual({ 'impersonate-user': 'a' });
  });
});

describe('headers back to the client', () => {
  it('keeps end-to-end headers and drops hop-by-hop ones, Content-Length only when asked', () => {
    const upstream = {
      'content-type': 'application/json',
      'content-length': '85',
      'audit-id': 'abc',
      connection: 'keep-alive',
      'keep-alive': 'timeout=5',
      'transfer-encoding': 'chunked',
    };
    expect(downstreamResponseHeaders(upstream, { dropContentLength: false })).toEqual({
      'content-type': 'application/json',
      'content-length': '85',
      'audit-id': 'abc',
    });
    expect(downstreamResponseHeaders(upstream, { dropContentLength: true })).toEqual({
      'content-type': 'application/json',
      'audit-id': 'abc',
    });
  });
});

describe('Accept rewriting for masked answers', () => {
  it('keeps the JSON entries (Table included) and drops protobuf, CBOR, YAML and wildcards', () => {
    expect(
      jsonOnlyAccept(
        'application/vnd.kubernetes.protobuf;as=Table;v=v1;g=meta.k8s.io, application/json;as=Table;v=v1;g=meta.k8s.io, application/json',
      ),
    ).toBe('application/json;as=Table;v=v1;g=meta.k8s.io, application/json');
    expect(jsonOnlyAccept('application/vnd.kubernetes.protobuf')).toBe('application/json');
    expect(jsonOnlyAccept('application/cbor, application/yaml, */*')).toBe('application/json');
    expect(jsonOnlyAccept(undefined)).toBe('application/json');
  });

  it('knows which media types are JSON', () => {
    expect(isJsonMediaType('application/json')).toBe(true);
    expect(isJsonMediaType('application/json;stream=watch')).toBe(true);
    expect(isJsonMediaType('application/merge-patch+json')).toBe(true);
    expect(isJsonMediaType('application/vnd.kubernetes.protobuf')).toBe(false);
    expect(isJsonMediaType('application/yaml')).toBe(false);
    expect(isJsonMediaType('text/plain')).toBe(false);
  });
});
