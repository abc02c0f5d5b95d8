/**
 * The password a PostgreSQL client sends to say "I am this pod": a well-known marker, not a secret.
 *
 * The sidecar's PostgreSQL listener takes the agent's OIDC token as the password and, when a client
 * has no token, falls back to the pod's workload identity (its service account). An empty password
 * would be the natural way to ask for that, but libpq (psql, psycopg, most drivers built on it)
 * never sends one: with no password it stops with `fe_sendauth: no password supplied`. So the
 * listener accepts this marker exactly like an empty password, and the injector sets `PGPASSWORD`
 * to it in env mode, so unchanged libpq clients in the agent container just work.
 *
 * Publishing it confers nothing: the listener is on the pod's loopback, and every process in the
 * pod already reaches it and already has the pod's identity. It grants only what the policies grant
 * to the pod's own service account, never the credentials behind the Connection. A real token in
 * the connection string (`password=...`) wins over `PGPASSWORD`, so an agent with its own token is
 * still identified by it.
 */
export const WORKLOAD_IDENTITY_PASSWORD = 'crewgate:workload-identity';

/** True for the passwords that ask for the pod's workload identity: empty, or the marker. */
export function asksForWorkloadIdentity(password: string): boolean {
  return password === '' || password === WORKLOAD_IDENTITY_PASSWORD;
}
