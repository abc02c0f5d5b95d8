import { describe, expect, it } from 'vitest';
import { WorkQueue, type WorkQueueDeps } from './work-queue.js';

/** Timers that fire when the test says so. */
function manualTimers() {
  let now = 0;
  const timers: { at: number; fn: () => void; id: number }[] = [];
  let next = 1;
  const deps: WorkQueueDeps = {
    setTimeout: (fn, ms) => {
      const id = next++;
      timers.push({ at: now + ms, fn, id });
      return id;
    },
    clearTimeout: (id) => {
      const i = timers.findIndex((t) => t.id === id);
      if (i >= 0) timers.splice(i, 1);
    },
  };
  const advance = (ms: number) => {
    now += ms;
    for (const t of timers.filter((t) => t.at <= now)) {
      timers.splice(timers.indexOf(t), 1);
      t.fn();
    }
  };
  return { deps, advance };
}

describe('WorkQueue', () => {
  it('queues a key once however often it is added', async () => {
    const q = new WorkQueue();
    q.add('a');
    q.add('a');
    q.add('b');
    expect(q.length).toBe(2);
    expect(await q.get()).toBe('a');
    expect(await q.get()).toBe('b');
  });

  it('never hands out a key being processed; re-added meanwhile, it comes back after done', async () => {
    const q = new WorkQueue();
    q.add('a');
    const key = await q.get();
    q.add('a');
    expect(q.length).toBe(0);
    q.done(key!);
    expect(q.length).toBe(1);
  });

  it('backs off exponentially on failures, up to the maximum, and forgets after success', () => {
    const { deps, advance } = manualTimers();
    const q = new WorkQueue({ baseMs: 100, maxMs: 1_000 }, deps);
    expect([
      q.addRateLimited('a'),
      q.addRateLimited('a'),
      q.addRateLimited('a'),
      q.addRateLimited('a'),
      q.addRateLimited('a'),
    ]).toEqual([100, 200, 400, 800, 1_000]);
    expect(q.length).toBe(0);
    advance(999);
    expect(q.length).toBe(0);
    advance(1);
    expect(q.length).toBe(1);
    q.forget('a');
    expect(q.addRateLimited('a')).toBe(100);
  });

  it('releases waiting workers on shutdown', async () => {
    const q = new WorkQueue();
    const waiting = q.get();
    q.shutDown();
    expect(await waiting).toBeUndefined();
  });
});
