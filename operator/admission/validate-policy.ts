/**
 * Validation of AccessPolicy and MaskingRule at `kubectl apply` time, with the same compilers the
 * sidecar runs: what the API server accepts, every sidecar can load. The structural schema in the
 * CRD cannot say everything (string-or-boolean attribute values, durations within maxDuration,
 * linear-time regexes, one kind per subject), so without this a bad policy would be stored and only
 * fail later, far from whoever wrote it.
 */
import { compilePolicy, formatCompileErrors, type CompileError } from '../../sidecar/policy/index.js';
import { validateMaskingRuleSpec } from '../../sidecar/masking/index.js';

/** The kinds this webhook validates. */
export type ValidatedKind = 'AccessPolicy' | 'MaskingRule';

/** The parts of the object the compilers need; the shell fills name/namespace from the request if absent. */
export interface CrewgateObject {
  metadata: { name?: string; namespace?: string };
  spec: unknown;
}

/** An admission answer without a patch. */
export type ValidationResult = { allowed: true } | { allowed: false; message: string };

/**
 * Compiles the object's spec; refuses it with every compile error (`path: message; ...`) naming
 * the kind and the object, as `kubectl apply` prints it.
 */
export function validateCrewgateObject(kind: ValidatedKind, object: CrewgateObject): ValidationResult {
  const namespace = object.metadata.namespace ?? '';
  const name = object.metadata.name ?? '';
  let errors: CompileError[];
  switch (kind) {
    case 'AccessPolicy': {
      const r = compilePolicy({ namespace, name }, object.spec);
      errors = r.ok ? [] : r.errors;
      break;
    }
    case 'MaskingRule': {
      errors = [];
      if (namespace === '')
        errors.push({ path: 'metadata.namespace', message: 'a MaskingRule is namespaced' });
      if (name === '') errors.push({ path: 'metadata.name', message: 'must not be empty' });
      const r = validateMaskingRuleSpec(object.spec);
      if (!r.ok) errors.push(...r.errors);
      break;
    }
  }
  if (errors.length === 0) return { allowed: true };
  const id = namespace !== '' ? `${namespace}/${name}` : name;
  return { allowed: false, message: `${kind} ${id} is invalid: ${formatCompileErrors(errors.map(inSpec))}` };
}

/**
 * Spec errors are reported under `spec.` so the path matches the manifest a human is reading. zod
 * says only "Invalid input" for a union it cannot match; for an attribute value, say what is allowed.
 */
function inSpec(e: CompileError): CompileError {
  if (e.path.startsWith('metadata.')) return e;
  const message =
    e.message === 'Invalid input' && /(^|\.)match\.attributes\.[^.[]+$/.test(e.path)
      ? 'an attribute value must be a string or a boolean (e.g. privilegedPod: true), not an object, list or number'
      : e.message;
  return { path: e.path === '' ? 'spec' : `spec.${e.path}`, message };
}
