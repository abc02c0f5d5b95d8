/**
 * Compiles a rule's `match` block into one predicate. The fields are ANDed; an absent field matches
 * anything. Multi-valued command fields are matched asymmetrically so that nothing can be smuggled
 * past an Allow:
 * - Allow rules: EVERY operation of the command must match one of the rule's operation globs, and
 *   EVERY resource one of its resource globs; a command with no resources never passes a resources
 *   filter of an Allow rule (we cannot show that it touches only what the rule names).
 * - Deny and RequireApproval rules: ANY operation (resp. resource) matching is enough; a command with
 *   no resources does not match a resources filter.
 * The operation `unparseable` is only ever matched by the literal glob `unparseable` — `*`, `un*`,
 * `?nparseable` never match it — and an Allow or RequireApproval rule that does not literally name it
 * never matches a command that carries it.
 */
import type { Action, RuleMatch } from '../../crds/schemas/access-policy.js';
import { UNPARSEABLE, type Command } from '../core/command.js';
import { compileGlob, type Glob } from './glob.js';
import type { MatchContext } from './types.js';

export interface CompiledMatch {
  readonly namesUnparseable: boolean;
  readonly matches: (command: Command, context: MatchContext) => boolean;
}

type Check = (command: Command, context: MatchContext) => boolean;

/** Compiles `match` for a rule taking `action`; all globs are compiled here, once. */
export function compileRuleMatch(match: RuleMatch, action: Action): CompiledMatch {
  const permissive = action === 'Allow';
  const checks: Check[] = [];

  let namesUnparseable = false;
  if (match.operations !== undefined) {
    namesUnparseable = match.operations.includes(UNPARSEABLE);
    const globs = match.operations.filter((g) => g !== UNPARSEABLE).map((g) => compileGlob(g));
    const opMatches = (op: string): boolean => (op === UNPARSEABLE ? namesUnparseable : anyGlob(globs, op));
    checks.push(
      permissive ? (_c, ctx) => ctx.operations.every(opMatches) : (_c, ctx) => ctx.operations.some(opMatches),
    );
  }

  if (match.resources !== undefined) {
    const globs = match.resources.map((g) => compileGlob(g));
    const resMatches = (r: string): boolean => anyGlob(globs, r);
    checks.push(
      permissive
        ? (c) => c.resources.length > 0 && c.resources.every(resMatches)
        : (c) => c.resources.some(resMatches),
    );
  }

  if (match.text !== undefined) {
    const globs = match.text.map((g) => compileGlob(g, { caseInsensitive: true }));
    checks.push((_c, ctx) => {
      const folded = ctx.foldedText();
      for (const g of globs) if (g.testFolded(folded)) return true;
      return false;
    });
  }

  if (match.attributes !== undefined) {
    const wanted = Object.entries(match.attributes);
    checks.push((c) => {
      for (const [key, value] of wanted) {
        if (!Object.prototype.hasOwnProperty.call(c.attributes, key)) return false;
        if (c.attributes[key] !== value) return false;
      }
      return true;
    });
  }

  const guardUnparseable = action !== 'Deny' && !namesUnparseable;
  const matches = (command: Command, context: MatchContext): boolean => {
    if (guardUnparseable && context.unparseable) return false;
    for (const check of checks) if (!check(command, context)) return false;
    return true;
  };
  return { namesUnparseable, matches };
}

function anyGlob(globs: readonly Glob[], value: string): boolean {
  for (const g of globs) if (g.test(value)) return true;
  return false;
}
