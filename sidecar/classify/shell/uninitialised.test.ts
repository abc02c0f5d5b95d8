import { describe, expect, it } from 'vitest';
import { UNPARSEABLE } from '../../core/command.js';
import { classifyShell } from './classify-shell.js';

// vitest isolates test files, so the parser is not loaded in this one.
describe('before initShellClassifier', () => {
  it('fails closed instead of throwing', () => {
    const result = classifyShell('ls');
    expect(result.operations).toEqual([UNPARSEABLE]);
    expect(result.attributes.parseError).toMatch(/not initialised/);
  });
});
