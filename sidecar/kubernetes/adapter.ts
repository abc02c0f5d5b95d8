/**
 * The Kubernetes API protocol adapter (DESIGN.md §4, issue 8): kubectl, client-go and the other
 * Kubernetes clients in the agent's pod reach the Connection's API server through it, every
 * request judged by the policy core and its answers masked. See docs/kubernetes-proxy.md.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { ProtocolAdapter } from '../adapters/protocol-adapter.js';
import { startKubernetesListener } from './listener.js';

const pemSource = (what: string) =>
  z
    .strictObject({
      file: z.string().min(1).optional().describe(`Path of a PEM file holding the ${what}.`),
      pem: z.string().min(1).optional().describe(`The ${what} itself, PEM.`),
    })
    .refine((s) => (s.file === undefined) !== (s.pem === undefined), {
      message: `give the ${what} as exactly one of file or pem`,
    });

/** `listener.options` of a kubernetes listener. Every field is optional; `{}` is plain HTTP with the defaults. */
export const kubernetesListenerOptionsSchema = z
  .strictObject({
    tls: z
      .strictObject({ certificate: pemSource('serving certificate'), key: pemSource('private key') })
      .optional()
      .describe(
        'Serve TLS with this certificate; absent means plain HTTP (the loopback hop never leaves the pod).',
      ),
    maxHeaderBytes: z
      .number()
      .int()
      .min(1024)
      .max(1024 * 1024)
      .default(32 * 1024)
      .describe('Largest request head accepted; larger ones get a 431.'),
    maxMaskedBodyBytes: z
      .number()
      .int()
      .min(1024)
      .default(64 * 1024 * 1024)
      .describe('Largest non-watch JSON answer buffered for masking; larger ones are refused (406).'),
    maxMaskedLineBytes: z
      .number()
      .int()
      .min(1024)
      .default(16 * 1024 * 1024)
      .describe('Largest single watch event or log line masked; a larger one cuts the stream.'),
  })
  .default({
    maxHeaderBytes: 32 * 1024,
    maxMaskedBodyBytes: 64 * 1024 * 1024,
    maxMaskedLineBytes: 16 * 1024 * 1024,
  });

export type KubernetesListenerOptions = z.infer<typeof kubernetesListenerOptionsSchema>;

const readPem = (source: { file?: string; pem?: string }): string =>
  source.pem ?? readFileSync(source.file as string, 'utf8');

export const kubernetesAdapter: ProtocolAdapter = {
  protocol: 'kubernetes',
  async start(listener, deps) {
    const options = kubernetesListenerOptionsSchema.parse(listener.options);
    return startKubernetesListener(
      listener,
      {
        ...(options.tls
          ? {
              tls: {
                certificatePem: readPem(options.tls.certificate),
                privateKeyPem: readPem(options.tls.key),
              },
            }
          : {}),
        maxHeaderBytes: options.maxHeaderBytes,
        maxMaskedBodyBytes: options.maxMaskedBodyBytes,
        maxMaskedLineBytes: options.maxMaskedLineBytes,
      },
      deps,
    );
  },
};
