/**
 * One golden case of the injector: a YAML document holding everything `injectRequired` and
 * `injectPod` are given (namespace, config, grants as data, pod). The grants' `grantedTo` function
 * is written as a table `connection -> service account names`.
 */
import { injectionConfigSchema, type InjectionConfig } from '../injection-config.js';
import type { ConnectionTarget, InjectionGrants } from '../grants.js';
import type { NamespaceInfo, Pod } from '../pod.js';

export interface GoldenCaseInput {
  /** What the case shows, for whoever reads the golden. */
  description?: string;
  namespace: NamespaceInfo;
  config: unknown;
  grants: {
    connections?: Record<string, ConnectionTarget>;
    unusable?: Record<string, string>;
    /** connection -> service account names it is granted to. */
    granted?: Record<string, string[]>;
  };
  pod: Pod;
}

export interface GoldenCase {
  namespace: NamespaceInfo;
  config: InjectionConfig;
  grants: InjectionGrants;
  pod: Pod;
}

/** Builds the function-shaped grants from the table. */
export function grantsFromTable(data: GoldenCaseInput['grants']): InjectionGrants {
  const granted = data.granted ?? {};
  return {
    connections: data.connections ?? {},
    ...(data.unusable !== undefined ? { unusable: data.unusable } : {}),
    grantedTo: (connection, serviceAccount) =>
      Object.hasOwn(granted, connection) && (granted[connection] ?? []).includes(serviceAccount),
  };
}

export function loadGoldenCase(input: GoldenCaseInput): GoldenCase {
  return {
    namespace: input.namespace,
    config: injectionConfigSchema.parse(input.config),
    grants: grantsFromTable(input.grants),
    pod: input.pod,
  };
}
