/**
 * The injection itself: a pure function from (pod, config, grants) to an RFC 6902 JSON patch, or a
 * refusal the webhook turns into a denied admission. Istio's `injectPod` shape: the webhook shell
 * only decodes, calls and encodes, and golden files pin the injected pod.
 *
 * Order of the operations matters to a JSON patch and is fixed here: annotations, pod flags, then
 * per existing container the removals (highest index first) before the additions, then volumes,
 * and last the insertion of the init containers at index 0 — so every index an operation names
 * refers to the pod as the earlier operations left it.
 */
import { alreadyInjected } from './inject-required.js';
import { appEnvironment, envPatch } from './app-env.js';
import { needsClientConfig } from './client-config.js';
import {
  CONFIG_VOLUME,
  CONTROL_PLANE_CA_ANNOTATION,
  CONTROL_PLANE_CA_FILE,
  CLIENT_CONFIG_DIR,
  CLIENT_CONFIG_VOLUME,
  REDIRECT_CONTAINER,
  SIDECAR_CONFIG_ANNOTATION,
  SIDECAR_CONFIG_FILE,
  SPOOL_VOLUME,
  STATUS_ANNOTATION,
  STATUS_INJECTED,
  TOKEN_AUDIENCE,
  TOKEN_FILE,
  TOKEN_VOLUME,
} from './constants.js';
import type { InjectionGrants } from './grants.js';
import type { InjectionConfig } from './injection-config.js';
import { removeIndices, setMember, type JsonPatchOperation } from './json-patch.js';
import { pointer } from './json-pointer.js';
import { assignListenPorts, declaredPorts } from './listen-ports.js';
import { podDisplayName, type Container, type Pod, type Volume, type VolumeMount } from './pod.js';
import { isolationProblem } from './pod-isolation.js';
import { redirectArgs, redirectContainer } from './redirect-container.js';
import { resolveConnections } from './requested-connections.js';
import { sidecarContainer } from './sidecar-container.js';
import { buildSidecarPodConfig, renderSidecarPodConfig } from './sidecar-pod-config.js';
import { tokenMountIndices, tokenVolumeIndices, tokenVolumeNames } from './token-isolation.js';

/** A patch to return with `allowed: true`, or why the pod must not be created. */
export type InjectPodResult = { patch: JsonPatchOperation[] } | { refused: string };

/**
 * Injects the sidecar into a pod that `injectRequired` selected. An already injected pod gets an
 * empty patch (webhook re-invocation). Refuses a pod without connections, with connections that do
 * not exist or are not granted to its service account, with names that clash with the injector's,
 * with settings that expose the sidecar's processes to other containers (pod-isolation.ts), or
 * (transparent mode) with targets iptables cannot redirect.
 */
export function injectPod(pod: Pod, config: InjectionConfig, grants: InjectionGrants): InjectPodResult {
  if (alreadyInjected(pod) !== undefined) return { patch: [] };
  const refuse = (why: string): InjectPodResult => ({
    refused: `crewgate refuses pod ${podDisplayName(pod)}: ${why}`,
  });

  const isolation = isolationProblem(pod);
  if (isolation !== undefined) return refuse(isolation);

  const resolved = resolveConnections(pod, grants);
  if (!resolved.ok) return { refused: resolved.message };
  const clash = nameClash(pod);
  if (clash !== undefined) return refuse(clash);

  const listeners = assignListenPorts(resolved.connections, [config.metricsPort, ...declaredPorts(pod)]);
  let redirect: Container | undefined;
  if (config.mode === 'transparent') {
    const r = redirectArgs(listeners, config.runAsUser);
    if (!r.ok) return refuse(r.message);
    redirect = redirectContainer(config, r.args);
  }
  const envMode = config.mode === 'env';
  // The client files are the sidecar's to write (it alone knows the CA of the serving certificate
  // and the SSH host key it generates at start); the injector only provides the volume and says where.
  const clientConfig = needsClientConfig(config.mode, listeners);
  const env = envMode ? appEnvironment(listeners) : [];
  if (clientConfig) {
    const taken = pod.spec.containers.find((c) =>
      (c.volumeMounts ?? []).some((m) => samePath(m.mountPath, CLIENT_CONFIG_DIR)),
    );
    if (taken !== undefined)
      return refuse(
        `container ${taken.name} already mounts something at ${CLIENT_CONFIG_DIR}, where the agent's client config goes`,
      );
  }

  const annotations: Record<string, string> = {
    [SIDECAR_CONFIG_ANNOTATION]: renderSidecarPodConfig(buildSidecarPodConfig(listeners, config)),
    ...(config.controlPlaneCaBundle !== undefined
      ? { [CONTROL_PLANE_CA_ANNOTATION]: config.controlPlaneCaBundle }
      : {}),
    [STATUS_ANNOTATION]: STATUS_INJECTED,
  };

  const ops: JsonPatchOperation[] = [...annotationOps(pod, annotations)];
  ops.push(
    setMember('/spec/automountServiceAccountToken', 'automountServiceAccountToken' in pod.spec, false),
  );

  const tokenVolumes = tokenVolumeNames(pod);
  pod.spec.containers.forEach((c, i) => {
    const path = pointer('spec', 'containers', i);
    // Read-only: the agent reads the loopback CA and host keys but can never swap in its own.
    const clientConfigMount: VolumeMount = {
      name: CLIENT_CONFIG_VOLUME,
      mountPath: CLIENT_CONFIG_DIR,
      readOnly: true,
    };
    ops.push(
      ...mountsPatch(
        `${path}/volumeMounts`,
        c.volumeMounts,
        tokenVolumes,
        clientConfig ? clientConfigMount : undefined,
      ),
    );
    ops.push(...envPatch(path, c.env, env));
  });
  (pod.spec.initContainers ?? []).forEach((c, i) => {
    const path = pointer('spec', 'initContainers', i);
    ops.push(...mountsPatch(`${path}/volumeMounts`, c.volumeMounts, tokenVolumes, undefined));
  });

  ops.push(...removeIndices('/spec/volumes', tokenVolumeIndices(pod)));
  const volumes = injectedVolumes(config, clientConfig);
  if (pod.spec.volumes === undefined) ops.push({ op: 'add', path: '/spec/volumes', value: volumes });
  else for (const v of volumes) ops.push({ op: 'add', path: '/spec/volumes/-', value: v });

  const sidecar = sidecarContainer(config, clientConfig);
  if (pod.spec.initContainers === undefined) {
    ops.push({ op: 'add', path: '/spec/initContainers', value: redirect ? [redirect, sidecar] : [sidecar] });
  } else {
    ops.push({ op: 'add', path: '/spec/initContainers/0', value: sidecar });
    if (redirect) ops.push({ op: 'add', path: '/spec/initContainers/0', value: redirect });
  }
  return { patch: ops };
}

/**
 * The config, token and spool volumes, and the client config volume when the sidecar writes client
 * files. The config volume carries each annotation as a file; the client config volume is a small
 * tmpfs the sidecar fills.
 */
export function injectedVolumes(config: InjectionConfig, withClientConfig: boolean): Volume[] {
  const item = (path: string, annotation: string) => ({
    path,
    fieldRef: { fieldPath: `metadata.annotations['${annotation}']` },
  });
  return [
    {
      name: CONFIG_VOLUME,
      downwardAPI: {
        defaultMode: 0o444,
        items: [
          item(SIDECAR_CONFIG_FILE, SIDECAR_CONFIG_ANNOTATION),
          ...(config.controlPlaneCaBundle !== undefined
            ? [item(CONTROL_PLANE_CA_FILE, CONTROL_PLANE_CA_ANNOTATION)]
            : []),
        ],
      },
    },
    {
      name: TOKEN_VOLUME,
      projected: {
        sources: [
          {
            serviceAccountToken: {
              audience: TOKEN_AUDIENCE,
              expirationSeconds: config.tokenExpirationSeconds,
              path: TOKEN_FILE,
            },
          },
        ],
      },
    },
    { name: SPOOL_VOLUME, emptyDir: {} },
    ...(withClientConfig
      ? [{ name: CLIENT_CONFIG_VOLUME, emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } }]
      : []),
  ];
}

function annotationOps(pod: Pod, annotations: Record<string, string>): JsonPatchOperation[] {
  if (pod.metadata === undefined) return [{ op: 'add', path: '/metadata', value: { annotations } }];
  const existing = pod.metadata.annotations;
  if (existing === undefined) return [{ op: 'add', path: '/metadata/annotations', value: annotations }];
  return Object.entries(annotations).map(([key, value]) =>
    setMember(pointer('metadata', 'annotations', key), Object.hasOwn(existing, key), value),
  );
}

/**
 * A container's volumeMounts without its token mounts, plus `add` when given. A list left empty is
 * removed rather than kept as `[]`, so the injected pod reads as if it had been written that way.
 */
function mountsPatch(
  path: string,
  mounts: readonly VolumeMount[] | undefined,
  tokenVolumes: ReadonlySet<string>,
  add: VolumeMount | undefined,
): JsonPatchOperation[] {
  const remove = tokenMountIndices(mounts, tokenVolumes);
  if (mounts === undefined) return add === undefined ? [] : [{ op: 'add', path, value: [add] }];
  if (remove.length === mounts.length && remove.length > 0) {
    return [add === undefined ? { op: 'remove', path } : { op: 'replace', path, value: [add] }];
  }
  const ops = removeIndices(path, remove);
  if (add !== undefined) ops.push({ op: 'add', path: `${path}/-`, value: add });
  return ops;
}

/** A volume or init container the injector adds already exists under the same name. */
function nameClash(pod: Pod): string | undefined {
  for (const name of [CONFIG_VOLUME, TOKEN_VOLUME, SPOOL_VOLUME, CLIENT_CONFIG_VOLUME]) {
    if ((pod.spec.volumes ?? []).some((v) => v.name === name))
      return `it already has a volume named ${name}, which the injector adds`;
  }
  const containers = [...pod.spec.containers, ...(pod.spec.initContainers ?? [])];
  if (containers.some((c) => c.name === REDIRECT_CONTAINER))
    return `it already has a container named ${REDIRECT_CONTAINER}, which the injector adds`;
  // A mount of a volume the pod does not have yet would resolve to the injector's once it is added:
  // the agent would get the sidecar's token or its recording spool.
  for (const c of containers) {
    const m = (c.volumeMounts ?? []).find((v) => v.name === TOKEN_VOLUME || v.name === SPOOL_VOLUME);
    if (m !== undefined)
      return `container ${c.name} mounts volume ${m.name}, which only the injected sidecar may mount`;
  }
  return undefined;
}

function samePath(a: string, b: string): boolean {
  return a.replace(/\/+$/, '') === b.replace(/\/+$/, '');
}
