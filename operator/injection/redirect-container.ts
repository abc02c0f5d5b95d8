/**
 * transparent mode: an init container that installs iptables rules sending each target's
 * IP:port to the sidecar's local listener, exempting the sidecar's own UID so its upstream
 * connections leave the pod (as Istio's istio-init does). The rules are data (args), the image
 * applies them. iptables matches addresses, not names, so a Connection addressed by DNS name
 * cannot be redirected and the pod is refused rather than left silently unproxied.
 */
import { isIpLiteral } from './connection-target.js';
import { REDIRECT_CONTAINER } from './constants.js';
import type { InjectionConfig } from './injection-config.js';
import type { Listener } from './listen-ports.js';
import type { Container } from './pod.js';

/** `--redirect target=local` pairs then `--exclude-uid`, or a refusal naming each connection that cannot be redirected. */
export function redirectArgs(
  listeners: readonly Listener[],
  sidecarUid: number,
): { ok: true; args: string[] } | { ok: false; message: string } {
  const problems: string[] = [];
  const args: string[] = [];
  const byTarget = new Map<string, string>();
  for (const l of listeners) {
    if (!isIpLiteral(l.address)) {
      problems.push(
        `Connection "${l.name}" is addressed by the DNS name "${l.address}", which iptables cannot redirect; ` +
          `give it an IP address or use env mode`,
      );
      continue;
    }
    const target = l.address.includes(':') ? `[${l.address}]:${l.port}` : `${l.address}:${l.port}`;
    const other = byTarget.get(target);
    if (other !== undefined) {
      problems.push(
        `Connections "${other}" and "${l.name}" both target ${target}; redirected traffic cannot tell them apart`,
      );
      continue;
    }
    byTarget.set(target, l.name);
    args.push('--redirect', `${target}=${l.listenPort}`);
  }
  if (problems.length > 0) return { ok: false, message: `transparent mode: ${problems.join('; ')}` };
  args.push('--exclude-uid', String(sidecarUid));
  return { ok: true, args };
}

/** The redirect init container: root (iptables needs it) with NET_ADMIN and NET_RAW only. */
export function redirectContainer(config: InjectionConfig, args: string[]): Container {
  return {
    name: REDIRECT_CONTAINER,
    image: config.redirectImage ?? config.sidecarImage,
    ...(config.imagePullPolicy !== undefined ? { imagePullPolicy: config.imagePullPolicy } : {}),
    args,
    resources: structuredClone(config.resources),
    securityContext: {
      runAsUser: 0,
      runAsGroup: 0,
      runAsNonRoot: false,
      privileged: false,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: false,
      capabilities: { add: ['NET_ADMIN', 'NET_RAW'], drop: ['ALL'] },
    },
  };
}
