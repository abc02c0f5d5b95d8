import { beforeAll, describe, expect, it } from 'vitest';
import { UNPARSEABLE } from '../../core/command.js';
import { initShellClassifier } from '../shell/bash-parser.js';
import { classifyKubernetesRequest } from './classify-kubernetes.js';

beforeAll(() => initShellClassifier());

describe('classifyKubernetesRequest: verbs and resources', () => {
  const cases: Array<[string, string, string, string[], Record<string, string | boolean>]> = [
    ['GET', '/api/v1/namespaces/prod/pods/web-1', 'get', ['pods'], { namespace: 'prod', name: 'web-1' }],
    ['GET', '/api/v1/namespaces/prod/pods', 'list', ['pods'], { namespace: 'prod' }],
    [
      'GET',
      '/api/v1/namespaces/prod/pods?watch=true&resourceVersion=10',
      'watch',
      ['pods'],
      { namespace: 'prod' },
    ],
    ['GET', '/api/v1/watch/namespaces/prod/pods', 'watch', ['pods'], { namespace: 'prod' }],
    [
      'POST',
      '/apis/apps/v1/namespaces/prod/deployments',
      'create',
      ['deployments.apps'],
      { namespace: 'prod', apiGroup: 'apps' },
    ],
    [
      'PUT',
      '/apis/apps/v1/namespaces/prod/deployments/web',
      'update',
      ['deployments.apps'],
      { namespace: 'prod', name: 'web', apiGroup: 'apps' },
    ],
    [
      'PATCH',
      '/apis/apps/v1/namespaces/prod/deployments/web/scale',
      'patch',
      ['deployments.apps/scale'],
      { namespace: 'prod', name: 'web', apiGroup: 'apps', subresource: 'scale' },
    ],
    [
      'DELETE',
      '/api/v1/namespaces/prod/secrets/db',
      'delete',
      ['secrets'],
      { namespace: 'prod', name: 'db' },
    ],
    [
      'DELETE',
      '/api/v1/namespaces/prod/pods?labelSelector=app%3Dweb',
      'deletecollection',
      ['pods'],
      { namespace: 'prod' },
    ],
    [
      'GET',
      '/api/v1/namespaces/prod/pods/web-1/log?container=app&follow=true',
      'get',
      ['pods/log'],
      { namespace: 'prod', name: 'web-1', subresource: 'log' },
    ],
    [
      'GET',
      '/api/v1/namespaces/prod/services/web:80/proxy/metrics',
      'get',
      ['services/proxy'],
      { namespace: 'prod', name: 'web:80', subresource: 'proxy' },
    ],
    [
      'GET',
      '/api/v1/proxy/namespaces/prod/services/web/x',
      'proxy',
      ['services'],
      { namespace: 'prod', name: 'web' },
    ],
    [
      'PUT',
      '/api/v1/namespaces/prod/pods/web-1/status',
      'update',
      ['pods/status'],
      { namespace: 'prod', name: 'web-1', subresource: 'status' },
    ],
    [
      'POST',
      '/api/v1/namespaces/prod/pods/web-1/eviction',
      'create',
      ['pods/eviction'],
      { namespace: 'prod', name: 'web-1', subresource: 'eviction' },
    ],
    [
      'POST',
      '/api/v1/namespaces/prod/pods/web-1/binding',
      'create',
      ['pods/binding'],
      { namespace: 'prod', name: 'web-1', subresource: 'binding' },
    ],
    [
      'POST',
      '/api/v1/namespaces/prod/serviceaccounts/bot/token',
      'create',
      ['serviceaccounts/token'],
      { namespace: 'prod', name: 'bot', subresource: 'token' },
    ],
    ['GET', '/api/v1/nodes', 'list', ['nodes'], {}],
    ['DELETE', '/api/v1/nodes/node-1', 'delete', ['nodes'], { name: 'node-1' }],
    [
      'GET',
      '/api/v1/nodes/node-1/proxy/stats/summary',
      'get',
      ['nodes/proxy'],
      { name: 'node-1', subresource: 'proxy' },
    ],
    ['GET', '/api/v1/namespaces', 'list', ['namespaces'], {}],
    ['DELETE', '/api/v1/namespaces/prod', 'delete', ['namespaces'], { namespace: 'prod', name: 'prod' }],
    [
      'PUT',
      '/api/v1/namespaces/prod/finalize',
      'update',
      ['namespaces/finalize'],
      { namespace: 'prod', name: 'prod', subresource: 'finalize' },
    ],
    [
      'GET',
      '/apis/apiextensions.k8s.io/v1/customresourcedefinitions',
      'list',
      ['customresourcedefinitions.apiextensions.k8s.io'],
      { apiGroup: 'apiextensions.k8s.io' },
    ],
    [
      'PATCH',
      '/apis/crewgate.dev/v1alpha1/namespaces/agents/approvalrequests/ar-1',
      'patch',
      ['approvalrequests.crewgate.dev'],
      { namespace: 'agents', name: 'ar-1', apiGroup: 'crewgate.dev' },
    ],
    [
      'GET',
      '/apis/rbac.authorization.k8s.io/v1/clusterroles',
      'list',
      ['clusterroles.rbac.authorization.k8s.io'],
      { apiGroup: 'rbac.authorization.k8s.io' },
    ],
  ];
  it.each(cases)('%s %s', (method, url, verb, resources, attributes) => {
    expect(classifyKubernetesRequest(method, url)).toEqual({
      operations: [verb],
      resources,
      text: `${method} ${url}`,
      attributes,
    });
  });

  it('classifies non-resource requests by path, with the lower-case method as verb', () => {
    expect(classifyKubernetesRequest('GET', '/version')).toEqual({
      operations: ['get'],
      resources: ['/version'],
      text: 'GET /version',
      attributes: {},
    });
    expect(classifyKubernetesRequest('GET', '/openapi/v3?timeout=32s')).toMatchObject({
      operations: ['get'],
      resources: ['/openapi/v3'],
    });
    expect(classifyKubernetesRequest('GET', '/healthz')).toMatchObject({
      operations: ['get'],
      resources: ['/healthz'],
    });
  });

  it('drops the scheme and host of an absolute URL from the text', () => {
    expect(classifyKubernetesRequest('GET', 'https://10.0.0.1:6443/api/v1/pods').text).toBe(
      'GET /api/v1/pods',
    );
  });
});

describe('classifyKubernetesRequest: exec, attach, portforward', () => {
  it('makes exec its own operation and the argv its text, with the programs it runs', () => {
    const url =
      '/api/v1/namespaces/prod/pods/db-0/exec?command=sh&command=-c&command=rm%20-rf%20%2Fdata&container=postgres&stdin=true&stdout=true&stderr=true&tty=false';
    expect(classifyKubernetesRequest('POST', url)).toEqual({
      operations: ['exec'],
      resources: ['pods/exec', 'program:sh', 'program:rm'],
      text: 'sh -c rm -rf /data',
      attributes: {
        namespace: 'prod',
        name: 'db-0',
        subresource: 'exec',
        container: 'postgres',
        tty: false,
        stdin: true,
        stdout: true,
        stderr: true,
      },
    });
  });

  it('lists the program of a plain argv, as basename and path', () => {
    const result = classifyKubernetesRequest(
      'GET',
      '/api/v1/namespaces/prod/pods/web/exec?command=%2Fbin%2Fls&command=-la&stdout=1',
    );
    expect(result.operations).toEqual(['exec']);
    expect(result.resources).toEqual(['pods/exec', 'program:ls', 'program:/bin/ls']);
    expect(result.text).toBe('/bin/ls -la');
    expect(result.attributes).toMatchObject({ stdout: true, stdin: false, tty: false, stderr: false });
  });

  it('reads booleans the way the API server does: present and not 0/false is true', () => {
    const result = classifyKubernetesRequest(
      'POST',
      '/api/v1/namespaces/p/pods/w/exec?command=id&tty=yes&stdin=0&stdout=FALSE&stderr=',
    );
    expect(result.attributes).toMatchObject({ tty: true, stdin: false, stdout: false, stderr: true });
  });

  it('follows wrappers and nested shells in the argv', () => {
    const url =
      '/api/v1/namespaces/p/pods/w/exec?command=env&command=FOO%3D1&command=bash&command=-lc&command=curl+x+%7C+sh';
    expect(classifyKubernetesRequest('POST', url).resources).toEqual([
      'pods/exec',
      'program:env',
      'program:bash',
      'program:curl',
      'program:sh',
    ]);
  });

  it('is unparseable when the shell script in the argv does not parse', () => {
    const result = classifyKubernetesRequest(
      'POST',
      '/api/v1/namespaces/p/pods/w/exec?command=sh&command=-c&command=%24CMD',
    );
    expect(result.operations).toEqual([UNPARSEABLE]);
    expect(result.text).toBe('sh -c $CMD');
    expect(result.attributes.parseError).toMatch(/command position/);
  });

  it('keeps argv order and an exec without a command as the request line', () => {
    expect(
      classifyKubernetesRequest('POST', '/api/v1/namespaces/p/pods/w/exec?command=b&stdin=1&command=a').text,
    ).toBe('b a');
    expect(classifyKubernetesRequest('POST', '/api/v1/namespaces/p/pods/w/exec?stdin=1')).toMatchObject({
      operations: ['exec'],
      resources: ['pods/exec'],
      text: 'POST /api/v1/namespaces/p/pods/w/exec?stdin=1',
    });
  });

  it('makes attach and portforward their own operations', () => {
    expect(
      classifyKubernetesRequest(
        'POST',
        '/api/v1/namespaces/p/pods/w/attach?container=app&stdin=true&tty=true',
      ),
    ).toEqual({
      operations: ['attach'],
      resources: ['pods/attach'],
      text: 'POST /api/v1/namespaces/p/pods/w/attach?container=app&stdin=true&tty=true',
      attributes: {
        namespace: 'p',
        name: 'w',
        subresource: 'attach',
        container: 'app',
        tty: true,
        stdin: true,
        stdout: false,
        stderr: false,
      },
    });
    expect(
      classifyKubernetesRequest('GET', '/api/v1/namespaces/p/pods/w/portforward?ports=5432'),
    ).toMatchObject({
      operations: ['portforward'],
      resources: ['pods/portforward'],
      attributes: { namespace: 'p', name: 'w', subresource: 'portforward' },
    });
  });
});

describe('classifyKubernetesRequest: unparseable', () => {
  it.each([
    ['POST', '/api/v1/namespaces/x/pods/y/exec/../../..'],
    ['GET', '/api/v1/namespaces/x/pods/y/exec/%2e%2e/%2e%2e'],
    ['GET', '/api/v1/namespaces/x/pods/y%2Fexec'],
    ['GET', '/api//v1/pods'],
    ['GET', '/api/v1/pods?a=1;b=2'],
    ['OPTIONS', '/api/v1/pods'],
    ['GET', '/api/v1/watch'],
  ])('%s %s', (method, url) => {
    const result = classifyKubernetesRequest(method, url);
    expect(result.operations).toEqual([UNPARSEABLE]);
    expect(result.resources).toEqual([]);
    expect(result.text).toBe(`${method} ${url}`);
    expect(result.attributes.parseError).toEqual(expect.any(String));
  });
});
