/**
 * env mode: what app containers are told so their unchanged clients reach the sidecar — libpq's
 * `PGHOST`/`PGPORT`, `DATABASE_URL` for ORMs, `KUBECONFIG` for kubectl and client libraries,
 * `HTTP_PROXY` for plain-HTTP clients, `CREWGATE_SSH_CONFIG` for `ssh -F` (OpenSSH reads no
 * variable for its config file). None of it is a credential: the sidecar holds those.
 * `PGPASSWORD` is the well-known, non-secret `WORKLOAD_IDENTITY_PASSWORD`, so libpq clients (which
 * never send an empty password) are the pod's workload identity without a token; a token the agent
 * puts in its connection string wins over it (DATABASE_URL carries no password).
 *
 * Existing variables of the same names are replaced in place (order matters to `$(VAR)` expansion
 * of later entries), extra duplicates removed, so every name appears once.
 */
import { WORKLOAD_IDENTITY_PASSWORD } from '../../sidecar/identity/workload-identity-password.js';
import {
  CLIENT_CONFIG_DIR,
  KUBECONFIG_FILE,
  LOOPBACK,
  SSH_CONFIG_ENV,
  SSH_CONFIG_FILE,
} from './constants.js';
import { removeIndices, type JsonPatchOperation } from './json-patch.js';
import type { Listener } from './listen-ports.js';
import type { EnvVar } from './pod.js';

/** The variables for these listeners, in a fixed order. */
export function appEnvironment(listeners: readonly Listener[]): { name: string; value: string }[] {
  const env: { name: string; value: string }[] = [];
  const pg = listeners.find((l) => l.type === 'postgres');
  if (pg !== undefined) {
    const database = encodeURIComponent(pg.database ?? pg.name);
    env.push(
      { name: 'PGHOST', value: LOOPBACK },
      { name: 'PGPORT', value: String(pg.listenPort) },
      { name: 'PGPASSWORD', value: WORKLOAD_IDENTITY_PASSWORD },
      { name: 'DATABASE_URL', value: `postgresql://${LOOPBACK}:${pg.listenPort}/${database}` },
    );
  }
  if (listeners.some((l) => l.type === 'kubernetes')) {
    env.push({ name: 'KUBECONFIG', value: `${CLIENT_CONFIG_DIR}/${KUBECONFIG_FILE}` });
  }
  if (listeners.some((l) => l.type === 'ssh')) {
    env.push({ name: SSH_CONFIG_ENV, value: `${CLIENT_CONFIG_DIR}/${SSH_CONFIG_FILE}` });
  }
  const http = listeners.find((l) => l.type === 'http');
  if (http !== undefined) {
    const proxy = `http://${LOOPBACK}:${http.listenPort}`;
    const noProxy = `${LOOPBACK},localhost`;
    env.push(
      { name: 'HTTP_PROXY', value: proxy },
      { name: 'http_proxy', value: proxy },
      { name: 'NO_PROXY', value: noProxy },
      { name: 'no_proxy', value: noProxy },
    );
  }
  return env;
}

/**
 * Patch operations that make `desired` part of the env at `containerPath` (a pointer to the
 * container): first occurrence of a name replaced, later duplicates removed, new names appended.
 */
export function envPatch(
  containerPath: string,
  env: readonly EnvVar[] | undefined,
  desired: readonly { name: string; value: string }[],
): JsonPatchOperation[] {
  const envPath = `${containerPath}/env`;
  if (desired.length === 0) return [];
  if (env === undefined) return [{ op: 'add', path: envPath, value: desired.map((e) => ({ ...e })) }];

  const wanted = new Set(desired.map((e) => e.name));
  const seen = new Set<string>();
  const duplicates: number[] = [];
  env.forEach((e, i) => {
    if (!wanted.has(e.name)) return;
    if (seen.has(e.name)) duplicates.push(i);
    else seen.add(e.name);
  });
  const ops = removeIndices(envPath, duplicates);
  const removed = new Set(duplicates);
  const survivors = env.filter((_, i) => !removed.has(i));
  for (const e of desired) {
    const at = survivors.findIndex((s) => s.name === e.name);
    if (at >= 0) ops.push({ op: 'replace', path: `${envPath}/${at}`, value: { ...e } });
    else ops.push({ op: 'add', path: `${envPath}/-`, value: { ...e } });
  }
  return ops;
}
