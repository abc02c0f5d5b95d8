/** Typed errors of the recording pipeline, each with the context an operator needs to act. */

/** The spool could not be written or read (disk full, permissions, a corrupt segment). */
export class SpoolError extends Error {
  override name = 'SpoolError';
  constructor(
    message: string,
    readonly path: string,
    options?: { cause?: unknown },
  ) {
    super(`${message} (${path})`, options);
  }
}

/** A batch could not be written to the recording store; the shipper retries it. */
export class StoreError extends Error {
  override name = 'StoreError';
  constructor(
    message: string,
    readonly batch: { firstSession?: string; firstSeq?: number; events: number },
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
