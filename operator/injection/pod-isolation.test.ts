import { describe, expect, it } from 'vitest';
import { isolationProblem } from './pod-isolation.js';
import type { Pod, PodSpec } from './pod.js';

const pod = (spec: Partial<PodSpec>): Pod => ({
  metadata: { name: 'crew' },
  spec: { containers: [{ name: 'agent', image: 'python:3.12' }], ...spec },
});

describe('isolationProblem', () => {
  it.each<[string, Partial<PodSpec>, RegExp | undefined]>([
    ['a plain pod', {}, undefined],
    ['shareProcessNamespace: false', { shareProcessNamespace: false }, undefined],
    ['hostPID: false', { hostPID: false }, undefined],
    ['shareProcessNamespace: true', { shareProcessNamespace: true }, /shareProcessNamespace: true.*memory/],
    ['hostPID: true', { hostPID: true }, /hostPID: true.*environ/],
    [
      'a privileged app container',
      { containers: [{ name: 'agent', securityContext: { privileged: true } }] },
      /container agent is privileged/,
    ],
    [
      'a privileged init container',
      {
        initContainers: [{ name: 'setup', securityContext: { privileged: true } }],
        containers: [{ name: 'agent' }],
      },
      /container setup is privileged/,
    ],
    [
      'privileged: false and added capabilities (left to Pod Security Admission)',
      {
        containers: [
          { name: 'agent', securityContext: { privileged: false, capabilities: { add: ['SYS_PTRACE'] } } },
        ],
      },
      undefined,
    ],
  ])('%s', (_name, spec, expected) => {
    const problem = isolationProblem(pod(spec));
    if (expected === undefined) expect(problem).toBeUndefined();
    else expect(problem).toMatch(expected);
  });
});
