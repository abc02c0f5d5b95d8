/**
 * The parts of a core/v1 Pod the injector reads, as the plain JSON an AdmissionReview carries.
 * Deliberately not `@kubernetes/client-node`'s V1Pod: that type is the client's camel-cased model
 * with `Date` fields, while a JSON patch must be computed against the wire form. Unknown fields are
 * kept (index signatures) so a pod round-trips through the golden tests unchanged.
 */

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: unknown;
}

export interface VolumeMount {
  name: string;
  mountPath: string;
  readOnly?: boolean;
  subPath?: string;
  [field: string]: unknown;
}

export interface ContainerPort {
  containerPort: number;
  name?: string;
  protocol?: string;
  [field: string]: unknown;
}

export interface Container {
  name: string;
  image?: string;
  env?: EnvVar[];
  volumeMounts?: VolumeMount[];
  ports?: ContainerPort[];
  [field: string]: unknown;
}

export interface ProjectedSource {
  serviceAccountToken?: { audience?: string; expirationSeconds?: number; path: string };
  [field: string]: unknown;
}

export interface Volume {
  name: string;
  projected?: { sources?: ProjectedSource[]; [field: string]: unknown };
  [field: string]: unknown;
}

export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  volumes?: Volume[];
  serviceAccountName?: string;
  /** Deprecated alias of serviceAccountName, still honoured by the API server. */
  serviceAccount?: string;
  automountServiceAccountToken?: boolean;
  hostNetwork?: boolean;
  hostPID?: boolean;
  shareProcessNamespace?: boolean;
  [field: string]: unknown;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [field: string]: unknown;
}

export interface Pod {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  spec: PodSpec;
  [field: string]: unknown;
}

/** The namespace a pod is created in: its name and labels, as the webhook shell looked them up. */
export interface NamespaceInfo {
  name: string;
  labels?: Record<string, string>;
}

/** A human name for the pod in messages: its name, or its generateName prefix, or `(unnamed)`. */
export function podDisplayName(pod: Pod): string {
  const m = pod.metadata;
  if (m?.name) return m.name;
  if (m?.generateName) return `${m.generateName}*`;
  return '(unnamed)';
}

/** The pod's service account name; `default` when the spec names none, as the API server does. */
export function podServiceAccount(pod: Pod): string {
  return pod.spec.serviceAccountName || pod.spec.serviceAccount || 'default';
}
