import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UNPARSEABLE } from '../../core/command.js';
import { classifyKubernetesRequest } from './classify-kubernetes.js';
import { isRequestInfoError, requestInfo } from './request-info.js';

const segment = fc.oneof(
  fc.constantFrom(
    'api',
    'apis',
    'v1',
    'apps',
    'namespaces',
    'ns',
    'pods',
    'p',
    'exec',
    'watch',
    'proxy',
    '..',
    '.',
    '',
    '%2F',
    '%2e',
    '%zz',
  ),
  fc.string({ maxLength: 6 }),
);
const url = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 100 }),
  fc
    .tuple(
      fc.array(segment, { maxLength: 8 }),
      fc.array(fc.tuple(fc.constantFrom('command', 'watch', 'tty', 'x', ''), fc.string({ maxLength: 8 })), {
        maxLength: 4,
      }),
    )
    .map(
      ([parts, query]) =>
        `/${parts.join('/')}${query.length ? `?${query.map(([k, v]) => `${k}=${v}`).join('&')}` : ''}`,
    ),
);
const method = fc.oneof(
  fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'),
  fc.string({ maxLength: 8 }),
);

describe('Kubernetes classifier properties', () => {
  it('never throws, and refuses every path that is not clean', () => {
    fc.assert(
      fc.property(method, url, (m, u) => {
        const result = classifyKubernetesRequest(m, u);
        const info = requestInfo(m, u);
        if (isRequestInfoError(info)) expect(result.operations).toEqual([UNPARSEABLE]);
        else expect(info.path.split('/')).not.toContain('..');
      }),
      { numRuns: 3000 },
    );
  });
});
