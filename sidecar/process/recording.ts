/**
 * Opens the recorder a config asks for: the spooling recorder that ships to the cluster store, or
 * the JSON-lines stand-in. Shared by both config forms; only where the store's settings come from
 * differs (files, or the control plane).
 */
import type { Logger } from 'pino';
import type { SidecarMetrics } from '../enforcement/metrics.js';
import type { SessionRecorder } from '../enforcement/recorder.js';
import { openRecording, type Recording, type SessionSummary } from '../recording/index.js';

export interface StoreSettings {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
  tls: { mode: 'disable' | 'require' | 'verify-full'; caCertificates?: string[]; serverName?: string };
}

export interface SpoolSettings {
  spoolDir: string;
  spoolMaxBytes: number;
  fsync: 'always' | 'interval';
  intervalMs: number;
}

/** The spool in `spoolDir`, shipping to `store`. */
export function openStoreRecording(
  spool: SpoolSettings,
  store: StoreSettings,
  metrics: SidecarMetrics,
  logger: Logger,
  /** Told each session's final hash (in a pod: the control plane's copy); absent standalone. */
  onSessionEnd?: (summary: SessionSummary) => void,
): { recorder: SessionRecorder; recording: Recording } {
  const recording = openRecording({
    dir: spool.spoolDir,
    maxBytes: spool.spoolMaxBytes,
    fsync: spool.fsync === 'always' ? { mode: 'always' } : { mode: 'interval', intervalMs: spool.intervalMs },
    store: {
      host: store.host,
      port: store.port,
      database: store.database,
      user: store.user,
      password: store.password,
      ssl:
        store.tls.mode === 'disable'
          ? false
          : {
              ca: store.tls.caCertificates,
              rejectUnauthorized: store.tls.mode === 'verify-full',
              servername: store.tls.serverName,
            },
    },
    metrics,
    logger: logger.child({ component: 'recording' }),
    onSessionEnd,
  });
  return { recorder: recording.recorder, recording };
}

/** A recorder that accepts nothing: every new command is refused with `reason` (fail closed). */
export function refusingRecorder(reason: string): SessionRecorder {
  return {
    record: () => undefined,
    recordTerminal: () => undefined,
    accepting: () => ({ ok: false, reason }),
  };
}
