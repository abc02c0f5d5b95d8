/**
 * The kubeconfig an app container's kubectl (or client-go, or the Python client) reads through
 * `KUBECONFIG` in env mode: one cluster per kubernetes connection, each the sidecar's loopback
 * listener over plain HTTP (the hop never leaves the pod), no credentials at all. The agent may add
 * its own OIDC token (`kubectl --token`); the sidecar holds whatever the target cluster needs.
 */
import { stringify } from 'yaml';
import { LOOPBACK } from './constants.js';
import type { Listener } from './listen-ports.js';

/** A kubeconfig for the kubernetes listeners; the first one is the current context. Undefined when none. */
export function renderKubeconfig(listeners: readonly Listener[]): string | undefined {
  const kube = listeners.filter((l) => l.type === 'kubernetes');
  const first = kube[0];
  if (first === undefined) return undefined;
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: kube.map((l) => ({ name: l.name, cluster: { server: `http://${LOOPBACK}:${l.listenPort}` } })),
    users: [{ name: 'crewgate', user: {} }],
    contexts: kube.map((l) => ({ name: l.name, context: { cluster: l.name, user: 'crewgate' } })),
    'current-context': first.name,
    preferences: {},
  };
  return stringify(doc, { lineWidth: 0 });
}
