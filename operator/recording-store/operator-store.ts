/**
 * The operator owns the recording store (DESIGN.md §7): on start, every replica provisions the
 * configured store — database, migrations, the insert-only sidecar role from the store Secret —
 * and again twice a day so the day partitions ahead keep existing. Every replica may do it at
 * once: migrations run under an advisory lock, and the few catalog races PostgreSQL has no lock for
 * (two CREATE DATABASE or CREATE ROLE of the same name) are retried, after which the loser finds the
 * object there. A store that cannot be reached is retried with backoff; the operator keeps serving.
 */
import { readFileSync } from 'node:fs';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { RecordingStoreSettings } from '../config.js';
import type { KubeClients } from '../kube/client.js';
import { provisionStore } from './provision.js';
import { readStoreLogins } from './store-secret.js';

/** duplicate_database, duplicate_object, unique_violation (catalog), tuple concurrently updated. */
const RACE_CODES = new Set(['42P04', '42710', '23505', 'XX000']);
const REPROVISION_MS = 12 * 3600_000;

export type StoreState = 'unconfigured' | 'pending' | 'provisioned' | 'external';

export function storeSsl(tls: RecordingStoreSettings['tls']): pg.ClientConfig['ssl'] {
  if (tls.mode === 'disable') return false;
  return {
    ca: tls.caFile ? [readFileSync(tls.caFile, 'utf8')] : undefined,
    rejectUnauthorized: tls.mode === 'verify-full',
    servername: tls.serverName,
  };
}

/** One provisioning run: `external` when the Secret holds no admin login (the store is managed elsewhere). */
export async function provisionConfiguredStore(
  clients: KubeClients,
  namespace: string,
  store: RecordingStoreSettings,
  now: Date = new Date(),
): Promise<'provisioned' | 'external'> {
  const logins = await readStoreLogins(clients, namespace, store.secretName);
  if (!logins.admin) return 'external';
  const options = {
    admin: {
      host: store.host,
      port: store.port,
      user: logins.admin.user,
      password: logins.admin.password,
      ssl: storeSsl(store.tls),
    },
    database: store.database,
    sidecar: { name: logins.sidecar.user, password: logins.sidecar.password },
    now,
  };
  for (let attempt = 1; ; attempt++) {
    try {
      await provisionStore(options);
      return 'provisioned';
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (attempt >= 5 || !code || !RACE_CODES.has(code)) throw error;
      await new Promise((r) => setTimeout(r, 50 + Math.random() * 200 * attempt));
    }
  }
}

export interface StoreProvisioning {
  state(): StoreState;
  /** Resolves after the first successful run (or at once when nothing is configured). */
  firstRun: Promise<void>;
  stop(): void;
}

export function startStoreProvisioning(
  clients: KubeClients,
  namespace: string,
  store: RecordingStoreSettings | undefined,
  logger: Logger,
): StoreProvisioning {
  if (!store) return { state: () => 'unconfigured', firstRun: Promise.resolve(), stop: () => undefined };
  let state: StoreState = 'pending';
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let resolveFirst!: () => void;
  const firstRun = new Promise<void>((resolve) => (resolveFirst = resolve));
  const run = async (delayMs: number): Promise<void> => {
    if (stopped) return;
    try {
      const outcome = await provisionConfiguredStore(clients, namespace, store);
      state = outcome;
      logger.info(
        { host: store.host, database: store.database, outcome },
        outcome === 'provisioned'
          ? 'recording store provisioned (migrations, sidecar role)'
          : 'recording store Secret has no admin login; the store is managed elsewhere',
      );
      resolveFirst();
      timer = setTimeout(() => void run(1_000), REPROVISION_MS);
    } catch (error) {
      logger.warn(
        { host: store.host, err: error instanceof Error ? error.message : String(error), retryInMs: delayMs },
        'recording store provisioning failed',
      );
      timer = setTimeout(() => void run(Math.min(delayMs * 2, 60_000)), delayMs);
    }
    timer?.unref();
  };
  void run(1_000);
  return {
    state: () => state,
    firstRun,
    stop: () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
