/**
 * The operator's HTTPS server for admission webhooks. Each path maps to a handler, a function of
 * the AdmissionRequest; the server decodes, calls, encodes, and turns a handler's failure into a
 * refusal (failurePolicy Fail means the API server would refuse anyway; saying why helps).
 */
import { createServer, type Server } from 'node:https';
import type { Logger } from 'pino';
import { Histogram, Counter, type Registry } from 'prom-client';
import {
  admissionResponse,
  parseAdmissionReview,
  type AdmissionDecision,
  type AdmissionRequest,
} from './admission-review.js';

export type AdmissionHandler = (request: AdmissionRequest) => AdmissionDecision | Promise<AdmissionDecision>;

export interface WebhookServerOptions {
  host?: string;
  port: number;
  /** PEM serving certificate (chain) and key; `updateCertificate` swaps them without a restart. */
  certificate: { cert: string; key: string };
  handlers: Record<string, AdmissionHandler>;
  logger: Logger;
  registry?: Registry;
  maxBodyBytes?: number;
}

export interface WebhookServer {
  port: number;
  /** Serves a rotated certificate to new connections. */
  updateCertificate(certificate: { cert: string; key: string }): void;
  close(): Promise<void>;
}

export async function startWebhookServer(options: WebhookServerOptions): Promise<WebhookServer> {
  const latency = new Histogram({
    name: 'crewgate_webhook_duration_seconds',
    help: 'Admission webhook handling time, by path.',
    labelNames: ['path'] as const,
    registers: options.registry ? [options.registry] : [],
  });
  const failures = new Counter({
    name: 'crewgate_webhook_failures_total',
    help: 'Admission requests the operator could not handle, by path.',
    labelNames: ['path'] as const,
    registers: options.registry ? [options.registry] : [],
  });
  const maxBody = options.maxBodyBytes ?? 8 * 1024 * 1024;

  const server: Server = createServer(
    { cert: options.certificate.cert, key: options.certificate.key },
    (req, res) => {
      const path = (req.url ?? '').split('?')[0] ?? '';
      const handler = options.handlers[path];
      if (req.method !== 'POST' || !handler) {
        res.writeHead(404).end();
        return;
      }
      const stop = latency.startTimer({ path });
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size > maxBody) {
          req.destroy();
          return;
        }
        chunks.push(c);
      });
      req.on('end', () => {
        let request: AdmissionRequest;
        try {
          request = parseAdmissionReview(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        } catch (error) {
          failures.inc({ path });
          res
            .writeHead(400, { 'content-type': 'text/plain' })
            .end(error instanceof Error ? error.message : 'bad request');
          stop();
          return;
        }
        Promise.resolve()
          .then(() => handler(request))
          .catch((error: unknown): AdmissionDecision => {
            failures.inc({ path });
            options.logger.error(
              { path, err: error instanceof Error ? error.message : String(error) },
              'admission handler failed',
            );
            return {
              allowed: false,
              message: `crewgate webhook failed: ${error instanceof Error ? error.message : String(error)}`,
              code: 500,
            };
          })
          .then((decision) => {
            res
              .writeHead(200, { 'content-type': 'application/json' })
              .end(JSON.stringify(admissionResponse(request.uid, decision)));
            stop();
          });
      });
    },
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', () => resolve());
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : options.port,
    updateCertificate: (c) => server.setSecureContext({ cert: c.cert, key: c.key }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
