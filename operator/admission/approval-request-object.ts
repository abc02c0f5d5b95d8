/**
 * ApprovalRequest objects as the review webhooks receive them: raw JSON from the AdmissionReview,
 * not yet trusted to match the schema (mutating webhooks run before schema validation), plus the
 * identity rules both the webhook and the phase machine apply.
 */

/** The admission request's `userInfo`, as far as reviews need it. */
export interface ReviewerInfo {
  username: string;
  groups?: readonly string[];
}

/** An ApprovalRequest as it arrives: only what the review functions read is typed. */
export interface ApprovalRequestObject {
  metadata?: { name?: string; namespace?: string; [field: string]: unknown };
  spec?: Record<string, unknown>;
  status?: { phase?: string; [field: string]: unknown };
  [field: string]: unknown;
}

/** `spec.reviews` as an array (empty when absent or not an array). */
export function reviewsOf(object: ApprovalRequestObject | undefined): unknown[] {
  const reviews = object?.spec?.reviews;
  return Array.isArray(reviews) ? reviews : [];
}

/** A plain JSON object (not null, not an array). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * The Kubernetes usernames that are the requester: its OIDC subject, and for a pod identity
 * (`serviceAccount: ns/name`) the service account's username `system:serviceaccount:ns:name`.
 * Segregation of duties compares reviewers against these.
 */
export function requesterUsernames(
  requester: { subject?: unknown; serviceAccount?: unknown } | undefined,
): string[] {
  const names: string[] = [];
  if (typeof requester?.subject === 'string' && requester.subject !== '') names.push(requester.subject);
  if (typeof requester?.serviceAccount === 'string') {
    const [namespace, name, ...rest] = requester.serviceAccount.split('/');
    if (namespace && name && rest.length === 0) names.push(`system:serviceaccount:${namespace}:${name}`);
  }
  return names;
}

/** `namespace/name` for messages. */
export function objectId(object: ApprovalRequestObject | undefined): string {
  const m = object?.metadata;
  return m?.namespace ? `${m.namespace}/${m.name ?? ''}` : (m?.name ?? '(unnamed)');
}

/** Deep equality of JSON values (object key order ignored). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => jsonEqual(v, b[i]))
    );
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k], b[k]));
  }
  return false;
}
