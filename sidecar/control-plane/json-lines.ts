/**
 * The control plane streams its watches (the policy bundle, one approval) as newline-delimited
 * JSON, and heartbeats keep them open; both of the sidecar's watchers read them the same way.
 */
import type { IncomingMessage } from 'node:http';

/**
 * Calls `onLine` with each complete line of `res` as it arrives (the text after the last newline
 * waits for the next chunk). `onLine` returning true stops the reading: the watcher has its answer.
 */
export function readLines(res: IncomingMessage, onLine: (line: string) => boolean): void {
  let buffered = '';
  let stopped = false;
  res.on('data', (chunk: Buffer) => {
    if (stopped) return;
    buffered += chunk.toString('utf8');
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      if (onLine(line) === true) {
        stopped = true;
        return;
      }
    }
  });
}
