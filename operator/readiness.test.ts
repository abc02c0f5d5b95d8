import { describe, expect, it } from 'vitest';
import { Readiness } from './readiness.js';

describe('Readiness', () => {
  it('is not ready until every condition holds, says which do not, and goes back when one stops', () => {
    const r = new Readiness({ informers: 'informers not synced', webhooks: 'no webhook certificate yet' });
    expect(r.notReady()).toBe('informers not synced; no webhook certificate yet');
    r.set('webhooks', true);
    expect(r.notReady()).toBe('informers not synced');
    r.set('informers', true);
    expect(r.notReady()).toBeUndefined();
    r.set('informers', false);
    expect(r.notReady()).toBe('informers not synced');
  });
});
