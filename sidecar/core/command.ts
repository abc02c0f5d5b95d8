/**
 * The one shape every protocol adapter produces (DESIGN.md §4). Everything after an adapter —
 * policy, approval, masking, recording, metrics — sees only this, so a `kubectl exec` and a SQL
 * statement are judged by the same code.
 */

export type Protocol = 'postgres' | 'kubernetes' | 'ssh' | 'http';

/** Who is behind a command: the agent's verified OIDC token, or the pod's workload identity. */
export interface Identity {
  /** OIDC `sub`, or `system:serviceaccount:<ns>:<name>` for a workload identity. */
  subject: string;
  groups: string[];
  /** The issuer that vouched for `subject`. */
  issuer?: string;
  /** `namespace/name` of the pod's service account, when known. */
  serviceAccount?: string;
  /** `namespace/name` of the agent pod, when known. */
  pod?: string;
}

export interface Command {
  /** Name of the Connection this command goes to. */
  connection: string;
  protocol: Protocol;
  identity: Identity;
  /** Normalised verbs: "select", "insert", "ddl.drop", "exec", "http.post", "shell", "unparseable"... */
  operations: string[];
  /** What is touched: tables (`read:public.t` / `write:public.t`), "pods/exec", URL paths... */
  resources: string[];
  /** The command as the user wrote it: one statement, one argv joined, one request line. */
  text: string;
  /** Facts a rule may match on: privilegedPod, tty, database, user, namespace... */
  attributes: Record<string, string | boolean>;
}

/**
 * What a classifier knows about a piece of traffic before identity and connection are attached.
 * Adapters call a classifier, then `toCommand` with what they know about the session.
 */
export type Classification = Pick<Command, 'operations' | 'resources' | 'text' | 'attributes'>;

export interface SessionContext {
  connection: string;
  protocol: Protocol;
  identity: Identity;
  /** Session-wide attributes (database, user, namespace...) merged under each command's own. */
  attributes?: Record<string, string | boolean>;
}

export function toCommand(session: SessionContext, classification: Classification): Command {
  return {
    connection: session.connection,
    protocol: session.protocol,
    identity: session.identity,
    operations: classification.operations,
    resources: classification.resources,
    text: classification.text,
    attributes: { ...session.attributes, ...classification.attributes },
  };
}

/** The operation a classifier emits for input it could not parse; the engine never allows it by default. */
export const UNPARSEABLE = 'unparseable';
