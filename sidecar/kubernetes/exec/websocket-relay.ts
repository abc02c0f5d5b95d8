/**
 * Relays WebSocket messages between the client and the API server, both ends terminated by `ws`
 * so every message's channel and payload are visible to the observer. Frames are re-framed but
 * messages are relayed one for one with their type (binary or text), so the channel protocol is
 * untouched. Malformed or oversized frames from either side close that side with the RFC 6455
 * code `ws` chose (1002, 1009) and the other side with 1011/1001; the listener is unaffected.
 */
import type { Logger } from 'pino';
import WebSocket from 'ws';
import type { MessageObserver } from './stream-observers.js';

/** Bytes queued toward one side before the other side is paused. */
const HIGH_WATER = 4 * 1024 * 1024;
const LOW_WATER = 1024 * 1024;

/** Close codes an endpoint may send (1005, 1006, 1015 are only ever reported, never sent). */
function sendable(code: number): boolean {
  return (
    (code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) ||
    (code >= 3000 && code <= 4999)
  );
}

export interface PendingMessage {
  data: Buffer;
  isBinary: boolean;
}

export function relayMessages(
  client: WebSocket,
  upstream: WebSocket,
  observer: MessageObserver,
  logger: Logger,
  onEnd: (why: string) => void,
  /** Client messages received before the upstream existed (during an approval wait). */
  queued: PendingMessage[] = [],
): void {
  let ended = false;
  const finish = (why: string) => {
    if (ended) return;
    ended = true;
    observer.end(why);
    onEnd(why);
  };

  const forward = (from: WebSocket, to: WebSocket, direction: 'client' | 'server') => {
    let queuedBytes = 0;
    let paused = false;
    const send = (data: Buffer, isBinary: boolean) => {
      if (ended || to.readyState !== WebSocket.OPEN) return;
      try {
        observer.message(direction, data, isBinary);
      } catch (error) {
        const message = (error as Error).message;
        logger.warn({ err: message, direction }, 'message cannot be recorded; closing the stream');
        finish(`closed by crewgate: a ${direction} message could not be recorded: ${message}`);
        from.close(1008, 'crewgate: message cannot be recorded');
        to.close(1011, 'crewgate: peer sent an unrecordable message');
        return;
      }
      queuedBytes += data.length;
      to.send(data, { binary: isBinary }, () => {
        queuedBytes -= data.length;
        if (paused && queuedBytes < LOW_WATER) {
          paused = false;
          from.resume();
        }
      });
      if (!paused && queuedBytes > HIGH_WATER) {
        paused = true;
        from.pause();
      }
    };
    from.on('message', (data: Buffer, isBinary: boolean) => send(data, isBinary));
    return send;
  };

  const sendUp = forward(client, upstream, 'client');
  forward(upstream, client, 'server');
  for (const m of queued) sendUp(m.data, m.isBinary);

  client.on('close', (code: number, reason: Buffer) => {
    finish(`the client closed the stream (${code})`);
    if (upstream.readyState === WebSocket.OPEN) {
      if (sendable(code)) upstream.close(code, reason);
      else upstream.close(1001);
    }
  });
  upstream.on('close', (code: number, reason: Buffer) => {
    finish(`the API server closed the stream (${code})`);
    if (client.readyState === WebSocket.OPEN) {
      if (sendable(code)) client.close(code, reason);
      else client.close(1011, 'crewgate: the API server went away');
    }
  });
  client.on('error', (error: Error) => {
    logger.info({ err: error.message }, 'client WebSocket error');
    finish(`the client's stream failed: ${error.message}`);
    if (upstream.readyState === WebSocket.OPEN) upstream.close(1001);
    else upstream.terminate();
  });
  upstream.on('error', (error: Error) => {
    logger.info({ err: error.message }, 'API server WebSocket error');
    finish(`the API server's stream failed: ${error.message}`);
    if (client.readyState === WebSocket.OPEN) client.close(1011, 'crewgate: the API server stream failed');
  });
}
