/**
 * Waiting for a bench child process (a sidecar, a proxy) to say it is ready, shared by every bench:
 * each prints a JSON line with `"ready":true` once it listens, and a child that exits or stays
 * silent fails the bench with everything it printed, instead of a bench measuring nothing.
 */
import type { ChildProcess } from 'node:child_process';

/** The first line of stdout or stderr matching `pattern`; rejects on exit or after `timeoutMs`. */
export function waitForLine(
  child: ChildProcess,
  pattern: RegExp,
  what: string,
  timeoutMs = 30_000,
): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`${what} did not start:\n${seen}`)), timeoutMs);
    const onData = (c: Buffer) => {
      seen += c.toString();
      const line = seen.split('\n').find((l) => pattern.test(l));
      if (line) {
        clearTimeout(timer);
        resolve(line);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${what} exited with ${code}:\n${seen}`)));
  });
}

/** The port of a child's `{"ready":true,"port":N}` line. */
export async function waitForReadyPort(
  child: ChildProcess,
  what: string,
  timeoutMs?: number,
): Promise<number> {
  return (JSON.parse(await waitForLine(child, /"ready":true/, what, timeoutMs)) as { port: number }).port;
}
