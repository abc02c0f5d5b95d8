import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { FlowGate } from './flow-gate.js';

/** A destination whose transport takes chunks only when the test says so, as a peer's window does. */
function slowDestination() {
  const waiting: Array<() => void> = [];
  const stream = new Writable({
    highWaterMark: 16,
    write(_chunk, _encoding, callback) {
      waiting.push(() => callback());
    },
  });
  return {
    stream,
    take: () => waiting.shift()?.(),
  };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('FlowGate', () => {
  it('keeps the source flowing past write() === false, pauses above the high mark', () => {
    const source = new PassThrough();
    source.on('data', () => undefined);
    const to = slowDestination();
    const gate = new FlowGate(source, 100, 40);
    gate.write(to.stream, Buffer.alloc(60));
    // The destination's own buffer (16 bytes) is over, but the source is not paused for that.
    expect(source.isPaused()).toBe(false);
    gate.write(to.stream, Buffer.alloc(60));
    expect(gate.queued).toBe(120);
    expect(source.isPaused()).toBe(true);
  });

  it('resumes once the transport has taken enough, with data still queued', async () => {
    const source = new PassThrough();
    source.on('data', () => undefined);
    const to = slowDestination();
    const gate = new FlowGate(source, 100, 40);
    for (let i = 0; i < 4; i++) gate.write(to.stream, Buffer.alloc(30));
    expect(source.isPaused()).toBe(true);
    to.take();
    await tick();
    to.take();
    await tick();
    // 60 of 120 bytes still queued: above the low mark, still paused.
    expect(gate.queued).toBe(60);
    expect(source.isPaused()).toBe(true);
    to.take();
    await tick();
    expect(gate.queued).toBe(30);
    expect(source.isPaused()).toBe(false);
  });
});
