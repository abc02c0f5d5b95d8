/**
 * Copies an upstream answer to the client as it arrives, with backpressure, writing what arrived
 * in one event-loop turn as one chunk in one write.
 *
 * Why batching by turn (setImmediate), not by tick: a TLS socket hands over each decrypted record
 * in a callback scope of its own, and Node runs the nextTick queue after each, so a nextTick flush
 * wrote every record separately. The API server's records are often far smaller than 16 KiB, and
 * a 740 KB list went out as several hundred `writev`s, each with its own chunk header; the
 * profile showed those syscalls as the sidecar's largest cost per list. setImmediate runs once
 * the poll phase has delivered everything readable, so one write carries all of it.
 *
 * Why not pause on every `write() === false`: the socket's 16 KiB high-water mark is below one
 * batch, so the upstream would be paused and resumed on every write. The relay keeps up to
 * {@link MAX_BUFFERED_BYTES} in flight toward the client and pauses the upstream only beyond that.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The most bytes written in one batch; a faster upstream is written in pieces of this size. */
export const MAX_BATCH_BYTES = 1024 * 1024;
/** Bytes queued toward the client beyond which the upstream is paused until the client drains. */
export const MAX_BUFFERED_BYTES = 2 * 1024 * 1024;

/**
 * Calls `done(undefined, bytes)` once the whole body is written, or `done(error)` when either side
 * fails. `flushHeaders`: send the response head at the end of this turn even if no body byte came
 * (a watch's first event may come much later); otherwise the head goes with the first body bytes.
 */
export function relayBody(
  from: IncomingMessage,
  to: ServerResponse,
  done: (error: Error | undefined, bytes: number) => void,
  options: { flushHeaders?: boolean } = {},
): void {
  let bytes = 0;
  let settled = false;
  let wrote = false;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let scheduled: NodeJS.Immediate | undefined;
  const settle = (error?: Error) => {
    if (settled) return;
    settled = true;
    if (scheduled) clearImmediate(scheduled);
    done(error, bytes);
  };
  const take = (): Buffer | undefined => {
    if (pending.length === 0) return undefined;
    const batch = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    return batch;
  };
  const flush = () => {
    scheduled = undefined;
    if (settled || to.destroyed) return;
    const batch = take();
    if (!batch) {
      if (!wrote && options.flushHeaders) to.flushHeaders();
      return;
    }
    wrote = true;
    to.write(batch);
    if (to.writableLength > MAX_BUFFERED_BYTES) from.pause();
  };
  const schedule = () => {
    scheduled ??= setImmediate(flush);
  };
  if (options.flushHeaders) schedule();
  from.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    pending.push(chunk);
    pendingBytes += chunk.length;
    if (pendingBytes >= MAX_BATCH_BYTES) {
      if (scheduled) clearImmediate(scheduled);
      flush();
    } else schedule();
  });
  to.on('drain', () => {
    if (from.isPaused() && to.writableLength <= MAX_BUFFERED_BYTES) from.resume();
  });
  from.once('end', () => {
    if (scheduled) clearImmediate(scheduled);
    scheduled = undefined;
    // The last batch and the end of the body (the chunked terminator) leave in one write.
    const batch = take();
    if (batch) to.end(batch, () => settle());
    else to.end(() => settle());
  });
  from.once('error', (error) => settle(error));
  from.once('aborted', () => settle(new Error('the API server aborted the answer')));
  to.once('close', () => {
    if (!to.writableFinished) settle(new Error('the client went away'));
  });
}
