import { createServer } from 'node:net';

/**
 * Ports handed out below the kernel's ephemeral range (32768-60999 on Linux). A port the kernel
 * picks for `listen(0)` comes from that range, and so does the source port of every outgoing
 * connection: between our probe and the server's own bind, a client connecting anywhere could take
 * it (seen as EADDRINUSE under load). Below the range only another listener can, and the random
 * start makes two test processes unlikely to try the same port.
 */
const FIRST = 20_000;
const LAST = 32_767;
const tried = new Set<number>();

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A loopback port that was free a moment ago and that no outgoing connection will be given. */
export async function freePort(): Promise<number> {
  const span = LAST - FIRST + 1;
  const start = Math.floor(Math.random() * span);
  for (let i = 0; i < span; i++) {
    const port = FIRST + ((start + i) % span);
    // Never the same port twice from one process: a server given it may not have bound it yet.
    if (tried.has(port)) continue;
    tried.add(port);
    if (await bindable(port)) return port;
  }
  throw new Error(`no free loopback port between ${FIRST} and ${LAST}`);
}
