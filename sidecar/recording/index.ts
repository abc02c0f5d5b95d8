/**
 * Session recording (DESIGN.md §7): spool first, ship to the store, hash-chained. `openRecording`
 * wires the pieces the way the sidecar process runs them; tests and tools use the parts directly.
 */
import type { Logger } from 'pino';
import type { SidecarMetrics } from '../enforcement/metrics.js';
import { PgEventStore, type EventStore, type PgEventStoreOptions } from './event-store.js';
import { Shipper } from './shipper.js';
import { Spool, type SpoolOptions } from './spool.js';
import { SpoolingRecorder, type SpoolingRecorderDeps } from './spooling-recorder.js';

export { canonicalJson } from './canonical-json.js';
export { SpoolError, StoreError } from './errors.js';
export { PgEventStore, type EventStore, type PgEventStoreOptions } from './event-store.js';
export { verifyChain, type ChainVerdict } from './hash-chain.js';
export {
  hashEvent,
  hashInput,
  parseSpoolLine,
  sealEvent,
  sealEventToLine,
  sealTerminalToLine,
  ZERO_HASH,
  EVENT_FORMAT,
  type ChainLink,
  type RecordedEvent,
} from './recorded-event.js';
export { redactSecrets } from './redact.js';
export { SessionEndReporter, type SessionEndReporterOptions } from './session-end-reporter.js';
export { Shipper } from './shipper.js';
export { Spool, type SpoolOptions, type SpoolPosition } from './spool.js';
export { SpoolingRecorder, TERMINAL_COALESCING, type SessionSummary } from './spooling-recorder.js';

export interface RecordingOptions extends SpoolOptions {
  maxBytes: number;
  store: PgEventStoreOptions | EventStore;
  now?: () => Date;
  metrics?: SidecarMetrics;
  logger?: Logger;
  backoff?: { initialMs: number; maxMs: number };
  /** See ShipperDeps: how long events gather before a batch is shipped (default 20 ms). */
  lingerMs?: number;
  /** See SpoolingRecorderDeps: terminal chunk coalescing, and who is told each final hash. */
  coalesceTerminal?: SpoolingRecorderDeps['coalesceTerminal'];
  onSessionEnd?: SpoolingRecorderDeps['onSessionEnd'];
}

export interface Recording {
  recorder: SpoolingRecorder;
  shipper: Shipper;
  spool: Spool;
  /** Ships what it can within `drainMs`, then closes the spool and the store connection. */
  close(drainMs?: number): Promise<void>;
}

/** Opens the spool (shipping whatever a previous process left in it), the recorder and the shipper. */
export function openRecording(options: RecordingOptions): Recording {
  const spool = new Spool(options);
  const store = 'insert' in options.store ? options.store : new PgEventStore(options.store);
  const recorder = new SpoolingRecorder({
    spool,
    maxBytes: options.maxBytes,
    now: options.now,
    metrics: options.metrics,
    logger: options.logger,
    coalesceTerminal: options.coalesceTerminal,
    onSessionEnd: options.onSessionEnd,
  });
  const shipper = new Shipper({
    spool,
    store,
    metrics: options.metrics,
    logger: options.logger,
    backoff: options.backoff,
    lingerMs: options.lingerMs,
  });
  options.metrics?.recordingSpoolBytes.set(spool.depth);
  shipper.start();
  return {
    recorder,
    shipper,
    spool,
    close: async (drainMs = 0) => {
      recorder.flush();
      await shipper.stop(drainMs);
      await store.close();
      await spool.close();
    },
  };
}
