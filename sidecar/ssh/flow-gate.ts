/**
 * Backpressure for one relayed direction, by bytes the SSH transport has not yet taken.
 *
 * Why not `write() === false` then `'drain'`: an ssh2 channel's writable buffer is its peer's window
 * plus 2 MiB, and `'drain'` only fires once that buffer is empty. Pausing on the first `false` and
 * resuming on `'drain'` ran the two hops in turn, never together: while the agent's hop emptied the
 * buffer, the paused source stopped granting window to the target, so the target sat idle, and when
 * the source resumed the agent's hop had nothing left to send. Measured, the sidecar was idle three
 * quarters of a transfer. Counting the bytes whose write callback has not fired (ssh2 calls it once
 * a chunk is encrypted and on the socket) lets the source pause above `highBytes` and resume below
 * `lowBytes`, with data still queued, so both hops keep moving. Memory per direction stays bounded
 * by `highBytes` plus the source's own window (2 MiB in ssh2).
 */
export interface Pausable {
  pause(): unknown;
  resume(): unknown;
}

/** Defaults sized to ssh2's 2 MiB channel window: one window queued ahead, resume with half left. */
export const FLOW_HIGH_BYTES = 4 * 1024 * 1024;
export const FLOW_LOW_BYTES = 2 * 1024 * 1024;

export class FlowGate {
  private outstanding = 0;
  private paused = false;

  constructor(
    private readonly source: Pausable,
    private readonly highBytes = FLOW_HIGH_BYTES,
    private readonly lowBytes = FLOW_LOW_BYTES,
  ) {}

  /** Bytes written to the destination that its transport has not yet taken. */
  get queued(): number {
    return this.outstanding;
  }

  /** Writes `data` to `to`, pausing the source while too much is queued. */
  write(to: NodeJS.WritableStream, data: Buffer): void {
    const length = data.length;
    this.outstanding += length;
    // A destroyed destination may never call back: the source then stays paused, and the relay
    // that owns both is ending anyway.
    to.write(data, () => {
      this.outstanding -= length;
      if (this.paused && this.outstanding <= this.lowBytes) {
        this.paused = false;
        this.source.resume();
      }
    });
    if (!this.paused && this.outstanding > this.highBytes) {
      this.paused = true;
      this.source.pause();
    }
  }
}
