/**
 * The HTTP listener's own settings (`ListenerSpec.options`), validated once at start-up. Every
 * bound exists so that a client or an upstream cannot make the sidecar buffer without limit, and
 * every default fails closed: a response that should be masked but cannot be is refused.
 */
import { z } from 'zod';

const MiB = 1024 * 1024;

export const httpListenerOptionsSchema = z.strictObject({
  /** Request line plus headers; larger requests get 431 from Node's parser (`maxHeaderSize`). */
  maxHeaderBytes: z
    .number()
    .int()
    .min(1024)
    .max(MiB)
    .default(16 * 1024),
  /**
   * How much of a request body is read before forwarding when a rule matches on `body.*` fields.
   * A larger JSON body under such rules is refused with 413: the fields cannot be checked.
   */
  maxRequestBodyBytes: z
    .number()
    .int()
    .min(0)
    .max(64 * MiB)
    .default(MiB),
  /** JSON responses up to this size are buffered and masked; larger ones are refused (502). */
  maxResponseBytes: z
    .number()
    .int()
    .min(1024)
    .max(256 * MiB)
    .default(8 * MiB),
  /** Bytes of each (masked) body kept in the recording. */
  maxRecordedBodyBytes: z.number().int().min(0).max(MiB).default(4096),
  /** A non-JSON response for a subject with masking rules: pass it unmasked, or refuse it (502). */
  nonJsonResponses: z.enum(['pass', 'refuse']).default('refuse'),
  /** Upstream answer deadline. */
  upstreamTimeoutMs: z.number().int().min(100).max(3_600_000).default(120_000),
  /** Serve HTTPS to the agent instead of plain HTTP (loopback usually needs neither). */
  tls: z.strictObject({ certificatePem: z.string().min(1), privateKeyPem: z.string().min(1) }).optional(),
});

export type HttpListenerOptions = z.infer<typeof httpListenerOptionsSchema>;

export class HttpListenerOptionsError extends Error {
  override name = 'HttpListenerOptionsError';
}

export function parseHttpListenerOptions(options: unknown): HttpListenerOptions {
  const parsed = httpListenerOptionsSchema.safeParse(options ?? {});
  if (!parsed.success)
    throw new HttpListenerOptionsError(
      `invalid http listener options: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  return parsed.data;
}
