/**
 * Relays an upgraded SPDY connection byte for byte, with backpressure both ways, showing each
 * chunk to the observer before it is forwarded. The observer never changes the bytes; if it
 * cannot read them (not SPDY/3.1) the connection is cut, because a stream that cannot be
 * recorded must not run.
 */
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { ByteObserver } from './stream-observers.js';

export function relayBytes(
  client: Duplex,
  upstream: Socket,
  observer: ByteObserver,
  logger: Logger,
  onEnd: (why: string) => void,
): void {
  let ended = false;
  const finish = (why: string) => {
    if (ended) return;
    ended = true;
    observer.end(why);
    client.destroy();
    upstream.destroy();
    onEnd(why);
  };
  const pipe = (from: Duplex, to: Duplex, direction: 'client' | 'server') => {
    from.on('data', (chunk: Buffer) => {
      if (ended) return;
      try {
        observer.bytes(direction, chunk);
      } catch (error) {
        logger.warn({ err: (error as Error).message, direction }, 'stream cannot be recorded; closing it');
        finish(
          `closed by crewgate: the ${direction}'s stream could not be recorded: ${(error as Error).message}`,
        );
        return;
      }
      if (!to.write(chunk)) {
        from.pause();
        to.once('drain', () => from.resume());
      }
    });
    from.on('end', () => {
      // Half-close: the other side may still be sending (stdin closed, stdout still flowing).
      if (!ended) to.end();
    });
  };
  pipe(client, upstream, 'client');
  pipe(upstream, client, 'server');
  // Either side's close ends the session: what the API server sent before closing has already
  // been written to the client, and nothing can reach a client that has gone.
  client.on('close', () => finish('the client closed the connection'));
  upstream.on('close', () => finish('the API server closed the connection'));
  client.on('error', () => finish('the client connection failed'));
  upstream.on('error', () => finish('the API server connection failed'));
}
