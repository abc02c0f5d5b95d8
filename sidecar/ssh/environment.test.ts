import { describe, expect, it } from 'vitest';
import { forwardedEnvironment } from './environment.js';

describe('forwardedEnvironment', () => {
  it('passes locale and time-zone variables', () => {
    for (const [name, value] of [
      ['LANG', 'en_US.UTF-8'],
      ['LC_ALL', 'C'],
      ['LC_CTYPE', 'de_DE.UTF-8@euro'],
      ['TZ', 'Europe/Berlin'],
    ])
      expect(forwardedEnvironment(name!, value!), name).toBe(true);
  });

  it('refuses variables that change what a judged command runs', () => {
    for (const name of ['PATH', 'BASH_ENV', 'ENV', 'LD_PRELOAD', 'IFS', 'SHELLOPTS', 'PS4', 'lang', 'LC_'])
      expect(forwardedEnvironment(name, 'x'), name).toBe(false);
  });

  it('refuses values with shell or control characters', () => {
    for (const value of ['$(rm -rf /)', 'C\nX', 'a b', '`x`', 'x'.repeat(129)])
      expect(forwardedEnvironment('LANG', value), value).toBe(false);
  });
});
