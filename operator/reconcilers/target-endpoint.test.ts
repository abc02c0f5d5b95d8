import { describe, expect, it } from 'vitest';
import { targetEndpoint } from './target-endpoint.js';

describe('targetEndpoint', () => {
  it.each([
    [
      { type: 'postgres', address: 'db.internal:6432' },
      { host: 'db.internal', port: 6432 },
    ],
    [
      { type: 'postgres', address: 'db.internal' },
      { host: 'db.internal', port: 5432 },
    ],
    [
      { type: 'ssh', address: '10.1.2.3' },
      { host: '10.1.2.3', port: 22 },
    ],
    [
      { type: 'ssh', address: '[fd00::1]:2200' },
      { host: 'fd00::1', port: 2200 },
    ],
    [
      { type: 'kubernetes', address: 'https://kubernetes.default.svc' },
      { host: 'kubernetes.default.svc', port: 443 },
    ],
    [
      { type: 'kubernetes', address: 'https://127.0.0.1:6443/' },
      { host: '127.0.0.1', port: 6443 },
    ],
    [
      { type: 'http', address: 'http://billing.internal/api/' },
      { host: 'billing.internal', port: 80 },
    ],
    [
      { type: 'http', address: 'https://[::1]:8443' },
      { host: '::1', port: 8443 },
    ],
  ] as const)('%o -> %o', (spec, endpoint) => {
    expect(targetEndpoint(spec)).toEqual(endpoint);
  });

  it.each([
    [{ type: 'http', address: 'billing.internal' }, /not a URL/],
    [{ type: 'kubernetes', address: 'ftp://x' }, /not an http\(s\) URL/],
    [{ type: 'postgres', address: 'db:port' }, /not host:port/],
    [{ type: 'postgres', address: 'db:99999' }, /out of range/],
    [{ type: 'ssh', address: 'a:b:c' }, /not host:port/],
  ] as const)('refuses %o', (spec, message) => {
    expect((targetEndpoint(spec) as { error: string }).error).toMatch(message);
  });
});
