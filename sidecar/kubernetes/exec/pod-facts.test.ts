import { describe, expect, it } from 'vitest';
import { podFacts } from './pod-facts.js';

describe('podFacts', () => {
  it('reports a pod privileged when any container (init and ephemeral included) is privileged', () => {
    const plain = {
      spec: { containers: [{ name: 'app' }, { name: 'side', securityContext: { privileged: false } }] },
    };
    expect(podFacts(plain, undefined)).toEqual({
      privilegedPod: false,
      hostPID: false,
      hostNetwork: false,
      hostIPC: false,
      container: 'app',
    });
    for (const where of ['containers', 'initContainers', 'ephemeralContainers'])
      expect(
        podFacts(
          {
            spec: {
              containers: [{ name: 'app' }],
              [where]: [{ name: 'x', securityContext: { privileged: true } }],
            },
          },
          'app',
        ).privilegedPod,
      ).toBe(true);
  });

  it('reads the host namespaces strictly as booleans', () => {
    expect(podFacts({ spec: { hostPID: true, hostNetwork: true, hostIPC: true } }, undefined)).toMatchObject({
      hostPID: true,
      hostNetwork: true,
      hostIPC: true,
    });
    expect(podFacts({ spec: { hostPID: 'true' } }, undefined).hostPID).toBe(false);
  });

  it('names the requested container, else the default-container annotation, else the first', () => {
    const pod = {
      metadata: { annotations: { 'kubectl.kubernetes.io/default-container': 'main' } },
      spec: { containers: [{ name: 'side' }, { name: 'main' }] },
    };
    expect(podFacts(pod, 'side').container).toBe('side');
    expect(podFacts(pod, undefined).container).toBe('main');
    expect(podFacts({ spec: { containers: [{ name: 'only' }] } }, undefined).container).toBe('only');
    expect(podFacts({}, undefined)).not.toHaveProperty('container');
  });
});
