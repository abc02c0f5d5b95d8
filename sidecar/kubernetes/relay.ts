/**
 * Copies an upstream answer to the client as it arrives, with backpressure, writing everything
 * that arrived in one event-loop turn in one `writev`. A TLS socket hands over one 16 KiB record
 * per 'data' event, and a chunked answer written record by record costs one syscall (and one
 * chunk header) each: on a 1,000-object list that was most of the proxy's CPU.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Calls `done(undefined, bytes)` once the whole body is written, or `done(error)` when either side fails. */
export function relayBody(
  from: IncomingMessage,
  to: ServerResponse,
  done: (error: Error | undefined, bytes: number) => void,
): void {
  let bytes = 0;
  let corked = false;
  let settled = false;
  const settle = (error?: Error) => {
    if (settled) return;
    settled = true;
    done(error, bytes);
  };
  const uncork = () => {
    corked = false;
    to.uncork();
  };
  from.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    if (!corked) {
      corked = true;
      to.cork();
      process.nextTick(uncork);
    }
    if (!to.write(chunk)) from.pause();
  });
  to.on('drain', () => from.resume());
  from.once('end', () => {
    if (corked) uncork();
    to.end(() => settle());
  });
  from.once('error', (error) => settle(error));
  from.once('aborted', () => settle(new Error('the API server aborted the answer')));
  to.once('close', () => {
    if (!to.writableFinished) settle(new Error('the client went away'));
  });
}
