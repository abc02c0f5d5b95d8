/**
 * The policy bundle a sidecar receives: the pod's Connections (addresses and TLS settings, never
 * credentials), the AccessPolicies and MaskingRules of its namespace that name those connections,
 * and the Window grants in force for its namespace. Sidecars compile it with the same engine; the
 * operator only selects. Pure, so what a pod sees is testable from data.
 */
import type { KubernetesObject } from '@kubernetes/client-node';

export interface BundleInputs {
  namespace: string;
  podConnections: string[];
  connections: readonly KubernetesObject[];
  accessPolicies: readonly KubernetesObject[];
  maskingRules: readonly KubernetesObject[];
  approvalRequests: readonly KubernetesObject[];
  now: Date;
}

export interface SidecarBundle {
  connections: { name: string; spec: unknown }[];
  accessPolicies: { metadata: { namespace: string; name: string }; spec: unknown }[];
  maskingRules: { metadata: { namespace: string; name: string }; spec: unknown }[];
  grants: {
    name: string;
    subject: string;
    policy: string;
    rule: string;
    connection: string;
    expiresAt: string;
  }[];
}

type WithSpec = KubernetesObject & { spec?: Record<string, unknown>; status?: Record<string, unknown> };

const inNamespace = (list: readonly KubernetesObject[], ns: string) =>
  (list as WithSpec[]).filter((o) => o.metadata?.namespace === ns);
const byName = (a: KubernetesObject, b: KubernetesObject) =>
  (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '');

export function sidecarBundle(inputs: BundleInputs): SidecarBundle {
  const wanted = new Set(inputs.podConnections);
  const connections = inNamespace(inputs.connections, inputs.namespace)
    .filter((c) => wanted.has(c.metadata?.name ?? ''))
    .sort(byName)
    .map((c) => {
      // The Secret's name is the operator's business; the sidecar asks for credentials by connection.
      const spec = { ...(c.spec ?? {}) } as Record<string, unknown>;
      delete spec.credentialsRef;
      return { name: c.metadata!.name!, spec };
    });
  const policies = inNamespace(inputs.accessPolicies, inputs.namespace)
    .filter((p) => ((p.spec?.connections as string[] | undefined) ?? []).some((c) => wanted.has(c)))
    .sort(byName);
  const maskingNames = new Set(policies.flatMap((p) => (p.spec?.masking as string[] | undefined) ?? []));
  const maskingRules = inNamespace(inputs.maskingRules, inputs.namespace)
    .filter((m) => maskingNames.has(m.metadata?.name ?? ''))
    .sort(byName);
  const grants = inNamespace(inputs.approvalRequests, inputs.namespace)
    .filter(
      (r) =>
        r.spec?.scope === 'Window' &&
        // The sidecar marks a request Executed after its first command; the window still runs.
        (r.status?.phase === 'Approved' || r.status?.phase === 'Executed') &&
        typeof r.status?.windowEndsAt === 'string',
    )
    .filter(
      (r) =>
        new Date(r.status!.windowEndsAt as string) > inputs.now && wanted.has(r.spec?.connection as string),
    )
    .sort(byName)
    .map((r) => ({
      name: r.metadata!.name!,
      subject: (r.spec!.requester as { subject: string }).subject,
      policy: r.spec!.policy as string,
      rule: r.spec!.rule as string,
      connection: r.spec!.connection as string,
      expiresAt: r.status!.windowEndsAt as string,
    }));
  const manifest = (o: WithSpec) => ({
    metadata: { namespace: o.metadata!.namespace!, name: o.metadata!.name! },
    spec: o.spec,
  });
  return {
    connections,
    accessPolicies: policies.map(manifest),
    maskingRules: maskingRules.map(manifest),
    grants,
  };
}
