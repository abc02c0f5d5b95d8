import { describe, expect, it } from 'vitest';
import { UNPARSEABLE } from '../../core/command.js';
import { classifyHttp } from './classify-http.js';

describe('classifyHttp', () => {
  it('classifies method, path, query and text', () => {
    expect(classifyHttp({ method: 'GET', url: '/api/users?limit=10&sort=name&limit=20' })).toEqual({
      operations: ['http.get'],
      resources: ['/api/users'],
      text: 'GET /api/users?limit=10&sort=name&limit=20',
      attributes: { 'query.limit': '10', 'query.sort': 'name' },
    });
  });

  it('decodes query parameters as forms do', () => {
    expect(classifyHttp({ method: 'GET', url: '/s?q=a+b%26c&empty=&flag' }).attributes).toEqual({
      'query.q': 'a b&c',
      'query.empty': '',
      'query.flag': '',
    });
  });

  it('accepts absolute-form targets (forward proxy) and records the host', () => {
    expect(classifyHttp({ method: 'POST', url: 'http://Billing.internal:8080/v1/refunds?dry=1' })).toEqual({
      operations: ['http.post'],
      resources: ['/v1/refunds'],
      text: 'POST /v1/refunds?dry=1',
      attributes: { host: 'billing.internal:8080', 'query.dry': '1' },
    });
    expect(classifyHttp({ method: 'GET', url: 'https://h' }).resources).toEqual(['/']);
  });

  it.each([
    ['/%61dmin/users', '/admin/users'],
    ['/a%2db%5Fc%7e', '/a-b_c~'],
    ['/files/a%2fb', '/files/a%2Fb'],
    ['/files/a%3ab', '/files/a%3Ab'],
    ['/caf\u00e9', '/caf%C3%A9'],
    ['/a b'.replace(' ', '%20'), '/a%20b'],
    ['/x/', '/x/'],
    ['/', '/'],
    ["/a:b@c!$&'()*+,;=", "/a:b@c!$&'()*+,;="],
    ['/a"b<c>', '/a%22b%3Cc%3E'],
  ])('normalises the path %s to %s', (url, path) => {
    expect(classifyHttp({ method: 'GET', url }).resources).toEqual([path]);
  });

  it.each([
    ['/a/../admin', /dot segment/],
    ['/a/./b', /dot segment/],
    ['/a/%2e%2e/admin', /dot segment/],
    ['/a/%2E/b', /dot segment/],
    ['/a/..%2fadmin', /hides a dot segment/],
    ['/a/%2e%2e%2fadmin', /hides a dot segment/],
    ['/..', /dot segment/],
    ['//admin', /empty segment/],
    ['/a//b', /empty segment/],
    ['/a%zz', /percent-encoding/],
    ['/a%2', /percent-encoding/],
    ['/a%00b', /NUL/],
    ['/a\u0000b', /control/],
    ['/a\\..\\admin', /backslash/],
    ['/a%5c..%5cadmin', /backslash/],
    ['/a b', /whitespace/],
    ['/a#frag', /fragment/],
    ['*', /neither/],
    ['example.com:443', /neither/],
    ['ftp://h/x', /http and https/],
    ['/a%ff', /UTF-8/],
    ['/q?x=%zz', /percent-encoding/],
    ['/q?x=1;y=2', /";"/],
    [`/${'a'.repeat(9000)}`, /longer than/],
  ])('refuses %j', (url, reason) => {
    const result = classifyHttp({ method: 'GET', url });
    expect(result.operations).toEqual([UNPARSEABLE]);
    expect(result.resources).toEqual([]);
    expect(result.text).toBe(`GET ${url}`);
    expect(result.attributes.parseError).toMatch(reason);
  });

  it('refuses a method that is not a token', () => {
    expect(classifyHttp({ method: 'GE T', url: '/' }).operations).toEqual([UNPARSEABLE]);
    expect(classifyHttp({ method: '', url: '/' }).operations).toEqual([UNPARSEABLE]);
    expect(classifyHttp({ method: 'PROPFIND', url: '/' }).operations).toEqual(['http.propfind']);
  });
});

describe('classifyHttp: JSON body fields', () => {
  const body = JSON.stringify({
    user: { role: 'admin', id: 42, active: true, manager: null, tags: ['a'] },
    items: [{ id: 'i-1' }, { id: 7 }],
    'odd key': 'v',
  });

  it('reads the requested fields from a JSON body', () => {
    const result = classifyHttp(
      {
        method: 'POST',
        url: '/orders',
        contentType: 'application/json; charset=utf-8',
        body: new TextEncoder().encode(body),
      },
      {
        bodyFields: [
          '$.user.role',
          '$.user.id',
          '$.user.active',
          '$.items[0].id',
          '$.items[1].id',
          "$['odd key']",
        ],
      },
    );
    expect(result.attributes).toEqual({
      'body.user.role': 'admin',
      'body.user.id': '42',
      'body.user.active': 'true',
      'body.items[0].id': 'i-1',
      'body.items[1].id': '7',
      "body['odd key']": 'v',
    });
  });

  it('leaves out absent, null, object and array values', () => {
    const result = classifyHttp(
      { method: 'POST', url: '/x', contentType: 'application/json', body },
      {
        bodyFields: [
          '$.missing',
          '$.user.manager',
          '$.user',
          '$.user.tags',
          '$.items[5].id',
          '$.user.role.x',
          '$.items.id',
        ],
      },
    );
    expect(result.attributes).toEqual({});
  });

  it('reads +json media types and ignores bodies of other types', () => {
    const patch = {
      method: 'PATCH',
      url: '/x',
      contentType: 'application/merge-patch+json',
      body: '{"a":1}',
    };
    expect(classifyHttp(patch, { bodyFields: ['$.a'] }).attributes).toEqual({ 'body.a': '1' });
    const text = { method: 'POST', url: '/x', contentType: 'text/plain', body: 'not json' };
    expect(classifyHttp(text, { bodyFields: ['$.a'] })).toMatchObject({
      operations: ['http.post'],
      attributes: {},
    });
  });

  it('does not parse the body when no fields are requested', () => {
    expect(
      classifyHttp({ method: 'POST', url: '/x', contentType: 'application/json', body: '{' }).operations,
    ).toEqual(['http.post']);
  });

  it('treats an empty JSON body as having no fields', () => {
    expect(
      classifyHttp({ method: 'POST', url: '/x', contentType: 'application/json' }, { bodyFields: ['$.a'] })
        .attributes,
    ).toEqual({});
  });

  it.each([
    ['{"a":', /not valid JSON/],
    [new Uint8Array([0x7b, 0xff, 0x7d]), /UTF-8/],
  ])('is unparseable for the body %j when fields are requested', (raw, reason) => {
    const result = classifyHttp(
      { method: 'POST', url: '/x', contentType: 'application/json', body: raw },
      { bodyFields: ['$.a'] },
    );
    expect(result.operations).toEqual([UNPARSEABLE]);
    expect(result.attributes.parseError).toMatch(reason);
  });

  it('is unparseable for a body over the size bound, or an invalid field path', () => {
    const big = {
      method: 'POST',
      url: '/x',
      contentType: 'application/json',
      body: `{"a":"${'x'.repeat(100)}"}`,
    };
    expect(classifyHttp(big, { bodyFields: ['$.a'], maxBodyBytes: 50 }).attributes.parseError).toMatch(
      /larger than/,
    );
    expect(classifyHttp(big, { bodyFields: ['user.role'] }).attributes.parseError).toMatch(
      /invalid body field path/,
    );
    expect(classifyHttp(big, { bodyFields: ['$.a[*]'] }).attributes.parseError).toMatch(
      /invalid body field path/,
    );
  });

  it('does not read inherited properties', () => {
    const result = classifyHttp(
      { method: 'POST', url: '/x', contentType: 'application/json', body: '{"a":{}}' },
      { bodyFields: ['$.a.constructor', '$.a.toString'] },
    );
    expect(result.attributes).toEqual({});
  });
});
