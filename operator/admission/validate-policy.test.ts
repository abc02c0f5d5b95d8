import { describe, expect, it } from 'vitest';
import { validateCrewgateObject } from './validate-policy.js';

const meta = { name: 'analysts', namespace: 'agents' };
const policy = (extra: Record<string, unknown> = {}) => ({
  subjects: [{ group: 'crewai-viewer' }],
  connections: ['reporting-db'],
  rules: [{ name: 'reads', match: { operations: ['select'] }, action: 'Allow' }],
  ...extra,
});
const rule = (r: Record<string, unknown>) => policy({ rules: [r] });

describe('validateCrewgateObject: AccessPolicy', () => {
  it('allows a good policy', () => {
    expect(validateCrewgateObject('AccessPolicy', { metadata: meta, spec: policy() })).toEqual({
      allowed: true,
    });
  });

  it.each([
    [
      'a duration over maxDuration',
      rule({
        name: 'w',
        match: {},
        action: 'RequireApproval',
        approval: { approverGroups: ['dba'], scope: 'Window', duration: '12h', maxDuration: '8h' },
      }),
      'spec.rules[0].approval.duration: 12h exceeds maxDuration 8h',
    ],
    [
      'a bad duration',
      rule({
        name: 'w',
        match: {},
        action: 'RequireApproval',
        approval: { approverGroups: ['dba'], timeout: '10 minutes' },
      }),
      'spec.rules[0].approval.timeout: must be a duration',
    ],
    [
      'a zero duration',
      rule({
        name: 'w',
        match: {},
        action: 'RequireApproval',
        approval: { approverGroups: ['d'], timeout: '0s' },
      }),
      '0s must be longer than zero',
    ],
    [
      'an empty glob',
      rule({ name: 'r', match: { operations: [''] }, action: 'Allow' }),
      'spec.rules[0].match.operations[0]',
    ],
    [
      'an object attribute value',
      rule({ name: 'r', match: { attributes: { privilegedPod: { nested: true } } }, action: 'Deny' }),
      'spec.rules[0].match.attributes.privilegedPod: an attribute value must be a string or a boolean',
    ],
    [
      'a number attribute value',
      rule({ name: 'r', match: { attributes: { tty: 1 } }, action: 'Deny' }),
      'attributes.tty: an attribute value must be',
    ],
    ['an unknown field', rule({ name: 'r', match: { verbs: ['get'] }, action: 'Allow' }), 'verbs'],
    [
      'RequireApproval without settings',
      rule({ name: 'r', match: {}, action: 'RequireApproval' }),
      'needs approval settings',
    ],
    [
      'a subject with two kinds',
      policy({ subjects: [{ group: 'g', user: 'u' }] }),
      'spec.subjects[0]: a subject sets exactly one',
    ],
    [
      'a connection that is not a name',
      policy({ connections: ['Not_A_Name'] }),
      'spec.connections[0]: must be a lowercase RFC 1123 name',
    ],
    ['no spec at all', undefined, 'AccessPolicy agents/analysts is invalid: spec'],
  ])('refuses %s', (_name, spec, message) => {
    const r = validateCrewgateObject('AccessPolicy', { metadata: meta, spec });
    expect(r.allowed).toBe(false);
    if (!r.allowed) {
      expect(r.message).toMatch(/^AccessPolicy agents\/analysts is invalid: /);
      expect(r.message).toContain(message);
    }
  });

  it('refuses an object without a namespace', () => {
    const r = validateCrewgateObject('AccessPolicy', { metadata: { name: 'x' }, spec: policy() });
    expect(r).toEqual({
      allowed: false,
      message: 'AccessPolicy x is invalid: metadata.namespace: an AccessPolicy is namespaced',
    });
  });
});

describe('validateCrewgateObject: MaskingRule', () => {
  it.each([
    [{ detectors: ['email'] }],
    [{ fields: [{ column: 'customers.email' }], strategy: 'partial', keepLast: 4 }],
    [{ patterns: [{ name: 'ticket', regex: 'TCK-[0-9]{6}' }] }],
    [{ detectors: ['creditCard'], strategy: 'hash', hashKeyRef: { name: 'mask-key', key: 'hmac' } }],
  ])('allows %j', (spec) => {
    expect(validateCrewgateObject('MaskingRule', { metadata: meta, spec })).toEqual({ allowed: true });
  });

  it.each([
    [
      'a backtracking regex',
      { patterns: [{ name: 'bad', regex: '(a+)+$' }] },
      'spec.patterns[0].regex: nested quantifiers',
    ],
    [
      'a backreference',
      { patterns: [{ name: 'back', regex: '(a)\\1' }] },
      'spec.patterns[0].regex: backreferences',
    ],
    ['a lookahead', { patterns: [{ name: 'look', regex: 'a(?=b)' }] }, 'lookahead is not allowed'],
    ['hash without a key', { detectors: ['email'], strategy: 'hash' }, 'spec.hashKeyRef'],
    ['an unknown detector', { detectors: ['passport'] }, 'spec.detectors[0]'],
    ['a selector with two kinds', { fields: [{ column: 'a', jsonPath: '$.a' }] }, 'spec.fields[0]'],
  ])('refuses %s', (_name, spec, message) => {
    const r = validateCrewgateObject('MaskingRule', { metadata: meta, spec });
    expect(r.allowed).toBe(false);
    if (!r.allowed) {
      expect(r.message).toMatch(/^MaskingRule agents\/analysts is invalid: /);
      expect(r.message).toContain(message);
    }
  });
});
