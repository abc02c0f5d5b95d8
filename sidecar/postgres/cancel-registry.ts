/**
 * The BackendKeyData the proxy hands each client is its own (a client must never learn the
 * upstream's key, and one proxy serves many upstream sessions); a CancelRequest carrying it is
 * routed here to the session that owns it.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';

export interface Cancellable {
  cancel(): void;
}

export class CancelRegistry {
  private readonly sessions = new Map<number, { secretKey: Buffer; session: Cancellable }>();

  register(session: Cancellable): { processId: number; secretKey: Buffer } {
    let processId: number;
    do processId = randomBytes(4).readInt32BE(0) & 0x7fffffff;
    while (processId === 0 || this.sessions.has(processId));
    const secretKey = randomBytes(4);
    this.sessions.set(processId, { secretKey, session });
    return { processId, secretKey };
  }

  unregister(processId: number): void {
    this.sessions.delete(processId);
  }

  /** True when the key matched a live session, which was asked to cancel. */
  cancel(processId: number, secretKey: Buffer): boolean {
    const entry = this.sessions.get(processId);
    if (!entry || entry.secretKey.length !== secretKey.length || !timingSafeEqual(entry.secretKey, secretKey))
      return false;
    entry.session.cancel();
    return true;
  }
}
