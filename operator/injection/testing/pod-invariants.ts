/**
 * What must hold of every injected pod, whatever it looked like before: shared by the golden and
 * the property tests.
 */
import { expect } from 'vitest';
import { parse } from 'yaml';
import {
  CLIENT_CONFIG_VOLUME,
  SIDECAR_CONFIG_ANNOTATION,
  SIDECAR_CONTAINER,
  SSH_CONFIG_ENV,
} from '../constants.js';
import { sidecarPodConfigSchema } from '../sidecar-pod-config.js';
import type { Pod } from '../pod.js';

// Written independently of token-isolation.ts, so a bug there cannot hide itself here.
const TOKEN_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';

/** No container but the sidecar mounts a service-account token; automount is off. */
export function expectTokenIsolated(pod: Pod): void {
  expect(pod.spec.automountServiceAccountToken).toBe(false);
  const tokenVolumes = new Set(
    (pod.spec.volumes ?? [])
      .filter((v) => JSON.stringify(v.projected ?? {}).includes('"serviceAccountToken"'))
      .map((v) => v.name),
  );
  for (const c of [...pod.spec.containers, ...(pod.spec.initContainers ?? [])]) {
    if (c.name === SIDECAR_CONTAINER) continue;
    const leaked = (c.volumeMounts ?? []).filter(
      (m) =>
        tokenVolumes.has(m.name) ||
        m.name.startsWith('kube-api-access-') ||
        `${m.mountPath}/`.replace(/\/+$/, '/').startsWith(`${TOKEN_PATH}/`),
    );
    expect(leaked, `container ${c.name} still mounts a token`).toEqual([]);
  }
  expect((pod.spec.volumes ?? []).filter((v) => v.name.startsWith('kube-api-access-'))).toEqual([]);
  const sidecar = pod.spec.initContainers?.find((c) => c.name === SIDECAR_CONTAINER);
  expect(sidecar?.restartPolicy).toBe('Always');
}

/** Env names are unique in every container, and no mount path repeats. */
export function expectUniqueEnv(pod: Pod): void {
  for (const c of [...pod.spec.containers, ...(pod.spec.initContainers ?? [])]) {
    const names = (c.env ?? []).map((e) => e.name);
    expect(new Set(names).size, `container ${c.name} has duplicate env names: ${names.join(',')}`).toBe(
      names.length,
    );
    const paths = (c.volumeMounts ?? []).map((m) => m.mountPath.replace(/\/+$/, ''));
    expect(new Set(paths).size, `container ${c.name} has duplicate mount paths`).toBe(paths.length);
  }
}

/**
 * The client config volume, when there is one, is an emptyDir that only the sidecar mounts
 * writable: every other container that mounts it does so read-only, and its `KUBECONFIG` and
 * `CREWGATE_SSH_CONFIG` name files in it — so the agent can read the loopback CA and host keys but
 * never replace them.
 */
export function expectClientConfigReadOnly(pod: Pod): void {
  const volume = (pod.spec.volumes ?? []).find((v) => v.name === CLIENT_CONFIG_VOLUME);
  if (volume === undefined) return;
  expect(volume.emptyDir, 'the client config volume is an emptyDir').toBeDefined();
  const config = sidecarPodConfigSchema.parse(
    parse(pod.metadata?.annotations?.[SIDECAR_CONFIG_ANNOTATION] ?? ''),
  );
  const sidecar = pod.spec.initContainers?.find((c) => c.name === SIDECAR_CONTAINER);
  const own = sidecar?.volumeMounts?.find((m) => m.name === CLIENT_CONFIG_VOLUME);
  expect(own?.readOnly, 'the sidecar mounts the client config volume read-write').not.toBe(true);
  for (const c of [...pod.spec.containers, ...(pod.spec.initContainers ?? [])]) {
    if (c.name === SIDECAR_CONTAINER) continue;
    for (const m of (c.volumeMounts ?? []).filter((v) => v.name === CLIENT_CONFIG_VOLUME)) {
      expect(m.readOnly, `container ${c.name} mounts the client config volume read-only`).toBe(true);
    }
  }
  for (const c of pod.spec.containers) {
    const mount = c.volumeMounts?.find((m) => m.name === CLIENT_CONFIG_VOLUME);
    expect(mount, `container ${c.name} mounts the client config volume`).toBeDefined();
    // The pod's own KUBECONFIG stays when the sidecar writes no kubeconfig (an ssh-only pod).
    const files = (c.env ?? []).filter(
      (e) => (e.name === 'KUBECONFIG' && config.kubeconfig !== undefined) || e.name === SSH_CONFIG_ENV,
    );
    expect(files.length, `container ${c.name} is told where its client config is`).toBe(
      (config.kubeconfig ? 1 : 0) + (config.sshConfig ? 1 : 0),
    );
    for (const e of files)
      expect(e.value?.startsWith(`${mount?.mountPath}/`), `${e.name} of ${c.name} is in the volume`).toBe(
        true,
      );
  }
}
