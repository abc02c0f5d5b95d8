/**
 * Compile errors shared by the policy and masking compilers. The operator's admission webhook
 * shows them to whoever ran `kubectl apply`, so each one names the field it is about in the same
 * notation a human reads in the manifest (`rules[2].approval.duration`).
 */
import type { z } from 'zod';

/** One problem in a spec: where it is and what is wrong, both meant for a human. */
export interface CompileError {
  /** Field path in manifest notation, e.g. `rules[2].approval.duration`; `` for the spec itself. */
  path: string;
  /** What is wrong, without the path: `12h exceeds maxDuration 8h`. */
  message: string;
}

/** Formats a path the way the manifest reads: `rules[2].match.operations[0]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? String(segment) : `.${String(segment)}`;
  }
  return out;
}

/** One line per error, `path: message`, for webhook responses and operator conditions. */
export function formatCompileErrors(errors: readonly CompileError[]): string {
  return errors.map((e) => (e.path === '' ? e.message : `${e.path}: ${e.message}`)).join('; ');
}

/** Turns zod issues into CompileErrors so schema failures read like every other compile error. */
export function fromZodError(error: z.ZodError): CompileError[] {
  return error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message }));
}
