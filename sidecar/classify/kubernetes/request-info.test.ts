import { describe, expect, it } from 'vitest';
import { isRequestInfoError, requestInfo, type RequestInfo } from './request-info.js';

function info(method: string, url: string): RequestInfo {
  const result = requestInfo(method, url);
  if (isRequestInfoError(result)) throw new Error(`expected ${method} ${url} to parse: ${result.message}`);
  return result;
}

type Expected = Partial<RequestInfo>;

// The cases of k8s.io/apiserver/pkg/endpoints/request/requestinfo_test.go, plus crewgate's own.
describe('requestInfo: resource requests', () => {
  const cases: Array<[string, string, Expected]> = [
    [
      'GET',
      '/api/v1/namespaces',
      {
        verb: 'list',
        apiPrefix: 'api',
        apiVersion: 'v1',
        namespace: '',
        resource: 'namespaces',
        name: '',
        parts: ['namespaces'],
      },
    ],
    [
      'GET',
      '/api/v1/namespaces/other',
      {
        verb: 'get',
        namespace: 'other',
        resource: 'namespaces',
        name: 'other',
        parts: ['namespaces', 'other'],
      },
    ],
    [
      'GET',
      '/api/v1/namespaces/other/pods/foo',
      { verb: 'get', namespace: 'other', resource: 'pods', name: 'foo', parts: ['pods', 'foo'] },
    ],
    ['HEAD', '/api/v1/namespaces/other/pods/foo', { verb: 'get', resource: 'pods', name: 'foo' }],
    ['GET', '/api/v1/pods', { verb: 'list', namespace: '', resource: 'pods' }],
    ['GET', '/api/v1/namespaces/other/pods', { verb: 'list', namespace: 'other', resource: 'pods' }],
    ['GET', '/api/v1/namespaces/other/pods?watch=true', { verb: 'watch', resource: 'pods' }],
    ['GET', '/api/v1/namespaces/other/pods?watch=1', { verb: 'watch' }],
    ['GET', '/api/v1/namespaces/other/pods?watch=yes', { verb: 'watch' }],
    ['GET', '/api/v1/namespaces/other/pods?watch=', { verb: 'watch' }],
    ['GET', '/api/v1/namespaces/other/pods?watch=false', { verb: 'list' }],
    ['GET', '/api/v1/namespaces/other/pods?watch=0', { verb: 'list' }],
    ['GET', '/api/v1/namespaces/other/pods?watch=FALSE', { verb: 'list' }],
    ['GET', '/api/v1/namespaces/other/pods/foo?watch=true', { verb: 'get', name: 'foo' }],
    ['GET', '/api/v1/watch/pods', { verb: 'watch', resource: 'pods', parts: ['pods'] }],
    ['GET', '/api/v1/watch/namespaces/other/pods', { verb: 'watch', namespace: 'other', resource: 'pods' }],
    [
      'GET',
      '/api/v1/watch/namespaces/other/pods/foo',
      { verb: 'watch', namespace: 'other', resource: 'pods', name: 'foo' },
    ],
    [
      'GET',
      '/api/v1/proxy/namespaces/other/pods/foo/some/path',
      { verb: 'proxy', namespace: 'other', resource: 'pods', name: 'foo', subresource: '' },
    ],
    ['GET', '/api/v1/proxy/nodes/node1', { verb: 'proxy', resource: 'nodes', name: 'node1' }],
    ['POST', '/api/v1/namespaces/other/pods', { verb: 'create', resource: 'pods', name: '' }],
    ['PUT', '/api/v1/namespaces/other/pods/foo', { verb: 'update', name: 'foo' }],
    ['PATCH', '/api/v1/namespaces/other/pods/foo', { verb: 'patch', name: 'foo' }],
    ['DELETE', '/api/v1/namespaces/other/pods/foo', { verb: 'delete', name: 'foo' }],
    ['DELETE', '/api/v1/namespaces/other/pods', { verb: 'deletecollection', name: '' }],
    [
      'DELETE',
      '/apis/apps/v1/namespaces/prod/deployments',
      { verb: 'deletecollection', apiGroup: 'apps', resource: 'deployments' },
    ],
    ['OPTIONS', '/api/v1/namespaces/other/pods', { verb: '' }],
    ['get', '/api/v1/namespaces/other/pods', { verb: '' }],
    [
      'POST',
      '/api/v1/namespaces/other/pods/foo/exec',
      { verb: 'create', resource: 'pods', name: 'foo', subresource: 'exec' },
    ],
    ['GET', '/api/v1/namespaces/other/pods/foo/exec', { verb: 'get', subresource: 'exec' }],
    ['POST', '/api/v1/namespaces/other/pods/foo/attach', { subresource: 'attach' }],
    ['POST', '/api/v1/namespaces/other/pods/foo/portforward', { subresource: 'portforward' }],
    ['GET', '/api/v1/namespaces/other/pods/foo/log?follow=true', { verb: 'get', subresource: 'log' }],
    [
      'GET',
      '/api/v1/namespaces/other/pods/foo/proxy/metrics',
      { verb: 'get', subresource: 'proxy', parts: ['pods', 'foo', 'proxy', 'metrics'] },
    ],
    ['PUT', '/api/v1/namespaces/other/pods/foo/status', { verb: 'update', subresource: 'status' }],
    [
      'PATCH',
      '/apis/apps/v1/namespaces/prod/deployments/web/scale',
      { verb: 'patch', apiGroup: 'apps', resource: 'deployments', name: 'web', subresource: 'scale' },
    ],
    ['POST', '/api/v1/namespaces/other/pods/foo/eviction', { verb: 'create', subresource: 'eviction' }],
    ['POST', '/api/v1/namespaces/other/pods/foo/binding', { subresource: 'binding' }],
    [
      'POST',
      '/api/v1/namespaces/other/serviceaccounts/default/token',
      { resource: 'serviceaccounts', subresource: 'token' },
    ],
    [
      'PUT',
      '/api/v1/namespaces/other/finalize',
      { verb: 'update', namespace: 'other', resource: 'namespaces', name: 'other', subresource: 'finalize' },
    ],
    [
      'PUT',
      '/api/v1/namespaces/other/status',
      { resource: 'namespaces', name: 'other', subresource: 'status' },
    ],
    ['GET', '/api/v1/nodes', { verb: 'list', namespace: '', resource: 'nodes' }],
    ['GET', '/api/v1/nodes/node1', { verb: 'get', resource: 'nodes', name: 'node1' }],
    [
      'GET',
      '/api/v1/nodes/node1/proxy/stats/summary',
      { resource: 'nodes', name: 'node1', subresource: 'proxy' },
    ],
    [
      'GET',
      '/apis/apiextensions.k8s.io/v1/customresourcedefinitions',
      { verb: 'list', apiGroup: 'apiextensions.k8s.io', resource: 'customresourcedefinitions' },
    ],
    [
      'GET',
      '/apis/crewgate.dev/v1alpha1/namespaces/agents/approvalrequests/ar-1',
      {
        apiGroup: 'crewgate.dev',
        apiVersion: 'v1alpha1',
        namespace: 'agents',
        resource: 'approvalrequests',
        name: 'ar-1',
      },
    ],
    [
      'GET',
      '/apis/extensions/v1beta1/namespaces/other/extensions',
      { apiGroup: 'extensions', resource: 'extensions', namespace: 'other' },
    ],
    ['GET', '/api/v1/namespaces/other/pods/', { verb: 'list', resource: 'pods' }],
    [
      'GET',
      'https://10.0.0.1:6443/api/v1/namespaces/x/secrets/y',
      { verb: 'get', resource: 'secrets', name: 'y', namespace: 'x' },
    ],
    ['GET', '/api/v1/namespaces/ns%20x/pods', { namespace: 'ns x' }],
  ];
  it.each(cases)('%s %s', (method, url, expected) => {
    expect(info(method, url)).toMatchObject({ isResourceRequest: true, ...expected });
  });

  it('takes the name from a metadata.name field selector on list and watch', () => {
    expect(
      info('GET', '/api/v1/namespaces/x/pods?fieldSelector=metadata.name%3Dfoo&watch=true'),
    ).toMatchObject({
      verb: 'watch',
      name: 'foo',
      fieldSelector: 'metadata.name=foo',
    });
    expect(info('GET', '/api/v1/pods?fieldSelector=spec.nodeName%3Dn1,metadata.name%3D%3Dbar')).toMatchObject(
      {
        verb: 'list',
        name: 'bar',
      },
    );
    expect(info('GET', '/api/v1/pods?fieldSelector=metadata.name!%3Dbar').name).toBe('');
    expect(info('GET', '/api/v1/pods?fieldSelector=metadata.name%3D..').name).toBe('');
  });

  it('keeps selectors of list requests but not of verb-by-path watches', () => {
    expect(info('GET', '/api/v1/pods?labelSelector=app%3Dweb')).toMatchObject({ labelSelector: 'app=web' });
    expect(info('GET', '/api/v1/watch/pods?labelSelector=app%3Dweb').labelSelector).toBeUndefined();
  });
});

describe('requestInfo: non-resource requests', () => {
  const cases: Array<[string, string, Expected]> = [
    ['GET', '/version', { verb: 'get', path: '/version' }],
    ['GET', '/healthz', { verb: 'get', path: '/healthz' }],
    ['GET', '/healthz/etcd', { verb: 'get', path: '/healthz/etcd' }],
    ['GET', '/openapi/v3', { verb: 'get', path: '/openapi/v3' }],
    ['GET', '/openapi/v3/apis/apps/v1', { verb: 'get', path: '/openapi/v3/apis/apps/v1' }],
    ['GET', '/', { verb: 'get', path: '/' }],
    ['GET', '/api', { verb: 'get' }],
    ['GET', '/api/v1', { verb: 'get' }],
    ['GET', '/apis', { verb: 'get' }],
    ['GET', '/apis/apps', { verb: 'get' }],
    ['GET', '/apis/apps/v1', { verb: 'get', path: '/apis/apps/v1' }],
    ['POST', '/metrics', { verb: 'post' }],
    ['DELETE', '/logs/x', { verb: 'delete' }],
  ];
  it.each(cases)('%s %s', (method, url, expected) => {
    expect(info(method, url)).toMatchObject({ isResourceRequest: false, resource: '', ...expected });
  });
});

describe('requestInfo: refuses what a proxy and the server could read differently', () => {
  const cases: Array<[string, string]> = [
    ['/api/v1/namespaces/x/pods/y/exec/../../..', 'unclean-path'],
    ['/api/v1/namespaces/x/pods/../secrets/s', 'unclean-path'],
    ['/api/v1/namespaces/x/./pods', 'unclean-path'],
    ['/api/v1//namespaces/x/pods', 'unclean-path'],
    ['//api/v1/pods', 'unclean-path'],
    ['/api/v1/namespaces/x/pods/y%2Fexec', 'unclean-path'],
    ['/api/v1/namespaces/x/pods/y%2fexec', 'unclean-path'],
    ['/api/v1/namespaces/x/pods/%2E%2E/secrets', 'unclean-path'],
    ['/api/v1/namespaces/x/pods/%2e', 'unclean-path'],
    ['/api/v1/namespaces/x/pods/a%00b', 'unclean-path'],
    ['/api/v1/namespaces/x/pods/a%zz', 'unclean-path'],
    ['/api/v1/namespaces/x/pods/a%5Cb', 'unclean-path'],
    ['/api/v1/namespaces/x/pods/a\\b', 'unclean-path'],
    ['/api/v1/pods\u0000', 'bad-target'],
    ['/api/v1/pods?x=a b', 'bad-target'],
    ['/api/v1/pods#frag', 'bad-target'],
    ['api/v1/pods', 'bad-target'],
    ['*', 'bad-target'],
    ['/api/v1/pods?watch=1;x=2', 'bad-query'],
    ['/api/v1/pods?command=%zz', 'bad-query'],
    ['/api/v1/watch', 'no-resource'],
    [`/api/v1/namespaces/${'a'.repeat(8 * 1024)}`, 'too-long'],
  ];
  it.each(cases)('%j is %s', (url, error) => {
    expect(requestInfo('GET', url)).toMatchObject({ error });
  });
});
