/** Reads a stream into memory up to a bound, for bodies the policy or the masker must see whole. */
import type { Readable } from 'node:stream';

export type BoundedBody = { ok: true; body: Buffer } | { ok: false; reason: 'too large' | 'aborted' };

/**
 * Collects `stream` until it ends; stops (and leaves the rest unread) once more than `limit`
 * bytes arrived. A declared length over the bound is refused before reading anything.
 */
export function readBounded(stream: Readable, limit: number, declaredLength?: number): Promise<BoundedBody> {
  if (declaredLength !== undefined && declaredLength > limit)
    return Promise.resolve({ ok: false, reason: 'too large' });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (result: BoundedBody): void => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.off('close', onClose);
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        stream.pause();
        finish({ ok: false, reason: 'too large' });
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void =>
      finish({ ok: true, body: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size) });
    const onError = (): void => finish({ ok: false, reason: 'aborted' });
    const onClose = (): void => finish({ ok: false, reason: 'aborted' });
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
    stream.on('close', onClose);
  });
}
