/** Test-only helpers for the masking tests: compile-or-throw. */
import { formatCompileErrors } from '../policy/compile-error.js';
import { compileMaskingRule } from './compile-masking-rule.js';
import type { CompiledMaskingRule, CompileMaskingRuleOptions } from './types.js';

export const TEST_KEY = new TextEncoder().encode('0123456789abcdef0123456789abcdef');

export function mustCompileRule(
  id: string,
  spec: unknown,
  options: CompileMaskingRuleOptions = { hashKey: TEST_KEY },
): CompiledMaskingRule {
  const [namespace = '', name = ''] = id.split('/');
  const r = compileMaskingRule({ namespace, name }, spec, options);
  if (!r.ok) throw new Error(`${id}: ${formatCompileErrors(r.errors)}`);
  return r.rule;
}
