/**
 * Who a policy or masking rule applies to. Shared by the policy engine and the masking engine so
 * that "this policy is for Alice" and "this masking rule is for Alice" can never disagree.
 */
import type { Identity } from '../core/command.js';
import type { Subject } from '../../crds/schemas/common.js';

/** A list of subjects compiled into sets; `matches` is O(number of the identity's groups). */
export interface SubjectMatcher {
  /** True when at least one subject in the list designates the identity. */
  matches(identity: Identity): boolean;
  /** The subjects as a human reads them (`group crewai-viewer`, `serviceAccount agents/research`). */
  readonly descriptions: readonly string[];
}

/**
 * One subject against one identity:
 * - `{group}`: the identity's (verified) groups include it;
 * - `{user}`: the identity's `subject` (OIDC `sub`) equals it;
 * - `{serviceAccount: {name, namespace?}}`: the identity's `serviceAccount` equals
 *   `namespace/name`, namespace defaulting to the object's own. The `subject` string
 *   (`system:serviceaccount:...`) is deliberately NOT consulted: only the identity layer sets
 *   `serviceAccount`, after verifying a token from the cluster's own issuer, whereas any issuer could
 *   mint a `sub` that looks like a service account.
 */
export function subjectMatches(subject: Subject, identity: Identity, objectNamespace: string): boolean {
  if (subject.group !== undefined) return identity.groups.includes(subject.group);
  if (subject.user !== undefined) return identity.subject === subject.user;
  if (subject.serviceAccount !== undefined) {
    return identity.serviceAccount === serviceAccountKey(subject.serviceAccount, objectNamespace);
  }
  return false;
}

/** Compiles a subject list once (sets per kind), for objects evaluated on every command. */
export function compileSubjects(subjects: readonly Subject[], objectNamespace: string): SubjectMatcher {
  const groups = new Set<string>();
  const users = new Set<string>();
  const serviceAccounts = new Set<string>();
  const descriptions: string[] = [];
  for (const s of subjects) {
    if (s.group !== undefined) {
      groups.add(s.group);
      descriptions.push(`group ${s.group}`);
    } else if (s.user !== undefined) {
      users.add(s.user);
      descriptions.push(`user ${s.user}`);
    } else if (s.serviceAccount !== undefined) {
      const key = serviceAccountKey(s.serviceAccount, objectNamespace);
      serviceAccounts.add(key);
      descriptions.push(`serviceAccount ${key}`);
    }
  }
  return {
    descriptions,
    matches(identity) {
      if (users.has(identity.subject)) return true;
      if (identity.serviceAccount !== undefined && serviceAccounts.has(identity.serviceAccount)) return true;
      if (groups.size > 0) for (const g of identity.groups) if (groups.has(g)) return true;
      return false;
    },
  };
}

/** `namespace/name` of a service-account subject, in the same form as `Identity.serviceAccount`. */
export function serviceAccountKey(
  sa: { name: string; namespace?: string | undefined },
  objectNamespace: string,
): string {
  return `${sa.namespace ?? objectNamespace}/${sa.name}`;
}

/**
 * Checks that each subject sets exactly one of group, user, serviceAccount. The CRD's CEL rule
 * enforces the same at the API server; compilers repeat it so a spec given to them directly (tests,
 * the webhook before CEL runs) cannot carry an empty subject that would silently match nobody.
 */
export function subjectShapeErrors(
  subjects: readonly Subject[],
  pathPrefix: string,
): { path: string; message: string }[] {
  const errors: { path: string; message: string }[] = [];
  subjects.forEach((s, i) => {
    const set = [s.group, s.user, s.serviceAccount].filter((x) => x !== undefined).length;
    if (set !== 1) {
      errors.push({
        path: `${pathPrefix}[${i}]`,
        message: `a subject sets exactly one of group, user or serviceAccount (this one sets ${set})`,
      });
    }
  });
  return errors;
}

/** A short description of an identity for denial reasons. */
export function describeIdentity(identity: Identity): string {
  const parts = [`subject "${identity.subject}"`];
  if (identity.serviceAccount !== undefined) parts.push(`serviceAccount ${identity.serviceAccount}`);
  if (identity.groups.length > 0) parts.push(`groups [${identity.groups.join(', ')}]`);
  return parts.join(', ');
}
