import { describe, expect, it } from 'vitest';
import { originForm, upstreamTarget } from './upstream-target.js';

const spec = (address: string, extra: object = {}) => ({
  spec: { type: 'http' as const, address, ...extra },
  credentials: { value: 'Bearer s' },
});

describe('originForm: forward-proxy targets onto the one Connection', () => {
  const base = new URL('http://billing.internal:8080/');
  it.each([
    ['/v1/x?a=1', '/v1/x?a=1', false],
    ['http://billing.internal:8080/v1/x?a=1', '/v1/x?a=1', true],
    ['http://BILLING.internal:8080', '/', true],
    ['http://billing.internal:8080?q', '/?q', true],
    ['http://billing.internal:8080/a/../b', '/a/../b', true],
  ])('maps %s to %s', (url, path, absolute) => {
    expect(originForm(url, base)).toEqual({ path, absolute });
  });
  it.each([
    'http://billing.internal/v1/x',
    'http://billing.internal:8081/v1/x',
    'http://evil.example:8080/v1/x',
    'http://billing.internal.evil.example:8080/',
    'ftp://billing.internal:8080/',
    'billing.internal:8080',
    'http://evil.example@billing.internal:8080/v1/x',
    'http://billing.internal:8080@evil.example/v1/x',
  ])('refuses %s', (url) => {
    expect(originForm(url, base)).toHaveProperty('refused');
  });
  it('maps an http URL on port 80 onto an https Connection on its default port, and nothing else', () => {
    const https = new URL('https://api.internal');
    expect(originForm('http://api.internal/v1', https)).toEqual({ path: '/v1', absolute: true });
    expect(originForm('http://api.internal:80/v1', https)).toEqual({ path: '/v1', absolute: true });
    expect(originForm('http://api.internal:8080/v1', https)).toHaveProperty('refused');
    expect(originForm('http://api.internal/v1', new URL('https://api.internal:8443'))).toHaveProperty(
      'refused',
    );
  });
});

describe('upstreamTarget', () => {
  it('reads the base URL, the credential header (lower-cased) and its Secret key "value"', () => {
    const t = upstreamTarget({
      ...spec('https://api.internal:8443/base', {
        http: { credentialHeader: 'X-Api-Key' },
        tls: { mode: 'verify-full', serverName: 'api' },
      }),
      caCertificates: ['PEM'],
    });
    expect(t).toMatchObject({
      https: true,
      host: 'api.internal:8443',
      credentialHeader: 'x-api-key',
      credentialValue: 'Bearer s',
      tls: { ca: ['PEM'], servername: 'api', rejectUnauthorized: true },
    });
    expect(upstreamTarget(spec('http://a')).credentialHeader).toBe('authorization');
  });
  it.each([
    [spec('not a url'), /not a URL/],
    [spec('ftp://a'), /http or https/],
    [spec('http://u:p@a'), /credentials/],
    [{ spec: { type: 'http' as const, address: 'http://a' }, credentials: {} }, /lack "value"/],
    [
      { spec: { type: 'http' as const, address: 'http://a' }, credentials: { value: 'a\r\nX-Evil: 1' } },
      /line break/,
    ],
    [spec('http://a', { http: { credentialHeader: 'Bad Header' } }), /not a header name/],
    [spec('https://a', { tls: { mode: 'disable' } }), /contradicts/],
    [{ spec: { type: 'postgres' as const, address: 'h:1' }, credentials: { value: 'x' } }, /not http/],
  ])('refuses a bad Connection (%#)', (resolved, message) => {
    expect(() => upstreamTarget(resolved)).toThrow(message);
  });
});
