/** The sidecar's `/metrics`, `/healthz` and `/readyz` (the kubelet's startup and readiness probes). */
import { createServer, type Server } from 'node:http';
import { sqlParserFaults } from '../classify/sql/index.js';
import type { SidecarMetrics } from '../enforcement/metrics.js';

export async function startHealthServer(
  listen: { host: string; port: number },
  metrics: SidecarMetrics,
  notReady: () => string | undefined,
): Promise<Server> {
  const http = createServer((req, res) => {
    if (req.url === '/metrics') {
      void metrics.registry.metrics().then((body) => {
        res.writeHead(200, { 'content-type': metrics.registry.contentType });
        res.end(body);
      });
    } else if (req.url === '/healthz') {
      res.end('ok');
    } else if (req.url === '/readyz') {
      // A wedged SQL parser fails every statement closed; report it so the pod is restarted.
      const faults = sqlParserFaults();
      const reason = faults > 0 ? `sql parser faulted ${faults} times` : notReady();
      res.writeHead(reason === undefined ? 200 : 503).end(reason ?? 'ok');
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => http.listen(listen.port, listen.host, () => resolve()));
  return http;
}
