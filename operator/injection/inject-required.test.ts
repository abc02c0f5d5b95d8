import { describe, expect, it } from 'vitest';
import { injectRequired } from './inject-required.js';
import type { Pod } from './pod.js';

const config = { excludedNamespaces: ['crewgate-system'] };
const pod = (
  labels?: Record<string, string>,
  extra: Partial<Pod['spec']> = {},
  annotations?: Record<string, string>,
): Pod => ({
  metadata: { name: 'p', ...(labels ? { labels } : {}), ...(annotations ? { annotations } : {}) },
  spec: { containers: [{ name: 'agent' }], ...extra },
});
const ns = (name: string, label?: string) => ({
  name,
  ...(label ? { labels: { 'crewgate.dev/inject': label } } : {}),
});

describe('injectRequired', () => {
  it.each([
    ['namespace enabled, pod unlabelled', pod(), ns('agents', 'enabled'), true, /namespace agents label/],
    [
      'pod enabled, namespace unlabelled',
      pod({ 'crewgate.dev/inject': 'enabled' }),
      ns('agents'),
      true,
      /pod label/,
    ],
    [
      'pod enabled, namespace disabled',
      pod({ 'crewgate.dev/inject': 'enabled' }),
      ns('agents', 'disabled'),
      true,
      /pod label/,
    ],
    [
      'pod disabled, namespace enabled',
      pod({ 'crewgate.dev/inject': 'disabled' }),
      ns('agents', 'enabled'),
      false,
      /=disabled/,
    ],
    ['nothing labelled', pod(), ns('agents'), false, /neither/],
    ['namespace label other than enabled', pod(), ns('agents', 'true'), false, /neither/],
    [
      'pod label other than enabled, namespace enabled',
      pod({ 'crewgate.dev/inject': 'yes' }),
      ns('agents', 'enabled'),
      true,
      /namespace/,
    ],
    [
      'kube-system',
      pod({ 'crewgate.dev/inject': 'enabled' }),
      ns('kube-system', 'enabled'),
      false,
      /never injected/,
    ],
    ['kube-public', pod({ 'crewgate.dev/inject': 'enabled' }), ns('kube-public'), false, /never injected/],
    [
      'configured exclusion',
      pod({ 'crewgate.dev/inject': 'enabled' }),
      ns('crewgate-system', 'enabled'),
      false,
      /excluded/,
    ],
    [
      'hostNetwork',
      pod(undefined, { hostNetwork: true }),
      ns('agents', 'enabled'),
      false,
      /hostNetwork.*node's network namespace/,
    ],
    [
      'sidecar init container present',
      pod(undefined, { initContainers: [{ name: 'crewgate-sidecar' }] }),
      ns('agents', 'enabled'),
      false,
      /already injected: initContainer/,
    ],
    [
      'sidecar container present',
      pod(undefined, { containers: [{ name: 'crewgate-sidecar' }] }),
      ns('agents', 'enabled'),
      false,
      /already injected: container/,
    ],
    [
      'status annotation',
      pod(undefined, {}, { 'crewgate.dev/status': 'injected' }),
      ns('agents', 'enabled'),
      false,
      /already injected: annotation/,
    ],
  ])('%s', (_name, p, namespace, inject, reason) => {
    const r = injectRequired(p, namespace, config);
    expect(r.inject).toBe(inject);
    expect(r.reason).toMatch(reason);
  });
});
