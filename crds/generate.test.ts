import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CrdGenerationError, toStructural } from './generate.js';
import { DocGenerationError, crdDocument, fieldRows } from './generate-docs.js';
import { renderCrdFiles, renderDocFiles } from './render.js';
import {
  accessPolicySpec,
  approvalRequestSpec,
  connectionSpec,
  kinds,
  maskingRuleSpec,
} from './schemas/index.js';

const crdDir = dirname(fileURLToPath(import.meta.url));
const root = join(crdDir, '..');
const readExample = (path: string) => readFileSync(join(root, path), 'utf8');

describe('crds/*.yaml', () => {
  it.each([crdDir, join(crdDir, '../charts/crewgate/crds')])(
    'in %s are exactly what `npm run generate` writes from the zod schemas (run it after a schema change)',
    (dir) => {
      const rendered = renderCrdFiles();
      const committed = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
      expect(committed.sort()).toEqual([...rendered.keys()].sort());
      for (const [name, text] of rendered) {
        expect(readFileSync(join(dir, name), 'utf8'), `${name} drifted from crds/schemas`).toBe(text);
      }
    },
  );

  it('are structural: no $ref, oneOf, allOf or anyOf anywhere', () => {
    for (const [name, text] of renderCrdFiles()) {
      for (const key of ['$ref', 'oneOf', 'allOf', 'anyOf', 'additionalProperties: false']) {
        expect(text.includes(key), `${name} contains ${key}`).toBe(false);
      }
    }
  });
});

describe('docs/crd-*.md', () => {
  it('are exactly what `npm run generate` writes from the zod schemas and examples/basics (run it after a change)', () => {
    const rendered = renderDocFiles(readExample);
    const committed = readdirSync(join(root, 'docs')).filter((f) => /^crd-.*\.md$/.test(f));
    expect(committed.sort()).toEqual([...rendered.keys()].sort());
    expect([...rendered.keys()].sort()).toEqual([
      'crd-accesspolicy.md',
      'crd-approvalrequest.md',
      'crd-connection.md',
      'crd-maskingrule.md',
    ]);
    for (const [name, text] of rendered) {
      expect(readFileSync(join(root, 'docs', name), 'utf8'), `docs/${name} drifted from crds/schemas`).toBe(
        text,
      );
    }
  });

  it('document every field of every kind with its type, default and description', () => {
    const policy = renderDocFiles(readExample).get('crd-accesspolicy.md')!;
    expect(policy).toContain(
      '| `spec.defaultAction` | string | no | `Deny` | one of `Allow`, `Deny` | What happens when no rule matches. |',
    );
    expect(policy).toContain('| `spec.rules[].match.attributes` | map of string to string or boolean |');
    // A pipe inside a regex must not split the table cell.
    expect(policy).toContain('pattern `^([0-9]+(\\.[0-9]+)?(ms\\|s\\|m\\|h))+$`');
    const connection = renderDocFiles(readExample).get('crd-connection.md')!;
    expect(connection).toContain('- an ssh connection needs spec.ssh with a pinned hostKey');
    expect(connection).toContain('```yaml\n# A PostgreSQL target.');
  });

  it('refuse a field without a description, naming it', () => {
    const def = {
      ...kinds[0]!,
      spec: z.strictObject({ documented: z.string().describe('yes'), bare: z.number() }),
    };
    expect(() => crdDocument(def, { file: 'x.yaml', text: '' })).toThrow(DocGenerationError);
    expect(() => crdDocument(def, { file: 'x.yaml', text: '' })).toThrow(/spec\.bare/);
  });

  it('list nested objects and array items under dotted paths, with requiredness from the parent', () => {
    const schema = z.toJSONSchema(
      z.strictObject({
        a: z.strictObject({ b: z.string().describe('b') }).describe('a'),
        list: z.array(z.strictObject({ c: z.boolean().default(false).describe('c') })).describe('l'),
      }),
      { target: 'openapi-3.0', io: 'input' },
    ) as Record<string, unknown>;
    expect(fieldRows(schema, 'spec').map((r) => [r.path, r.type, r.required, r.default])).toEqual([
      ['spec.a', 'object', true, undefined],
      ['spec.a.b', 'string', true, undefined],
      ['spec.list', 'array of object', true, undefined],
      ['spec.list[].c', 'boolean', false, '`false`'],
    ]);
  });
});

describe('toStructural', () => {
  it('turns a union of scalars into an untyped node (the operator’s webhook checks its type)', () => {
    const out = toStructural({ anyOf: [{ type: 'string' }, { type: 'boolean' }], description: 'x' });
    expect(out).toEqual({ description: 'x', 'x-kubernetes-preserve-unknown-fields': true });
  });

  it('refuses what a structural schema cannot express, naming where', () => {
    expect(() =>
      toStructural({
        type: 'object',
        properties: { a: { anyOf: [{ type: 'string' }, { type: 'object' }] } },
      }),
    ).toThrow(new CrdGenerationError('$.a', 'only unions of scalar types can be expressed'));
    expect(() => toStructural({ $ref: '#/x' })).toThrow(/\$ref is not allowed/);
    expect(() => toStructural({ oneOf: [] })).toThrow(/oneOf/);
  });

  it('drops zod’s strictness marker and its date-time regex but keeps the format', () => {
    const schema = toStructural(
      z.toJSONSchema(z.strictObject({ at: z.iso.datetime() }), { target: 'openapi-3.0' }) as Record<
        string,
        unknown
      >,
    );
    expect(schema).toEqual({
      type: 'object',
      properties: { at: { type: 'string', format: 'date-time' } },
      required: ['at'],
    });
  });
});

describe('the zod schemas as the TypeScript side sees them', () => {
  it('apply the same defaults the API server applies', () => {
    const policy = accessPolicySpec.parse({ subjects: [{ group: 'g' }], connections: ['db'] });
    expect(policy).toEqual({
      subjects: [{ group: 'g' }],
      connections: ['db'],
      rules: [],
      masking: [],
      defaultAction: 'Deny',
    });
    expect(maskingRuleSpec.parse({})).toMatchObject({ strategy: 'redact', keepLast: 4, detectors: [] });
  });

  it('refuse unknown fields, so a typo is an error rather than a silently ignored setting', () => {
    const result = connectionSpec.safeParse({
      type: 'postgres',
      address: 'db:5432',
      credentialsRef: { name: 's' },
      pasword: 'x',
    });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toMatch(/pasword/);
  });

  it('keep rule attributes to strings and booleans', () => {
    const spec = (attributes: unknown) => ({
      subjects: [{ group: 'sre' }],
      connections: ['prod'],
      rules: [{ name: 'exec', match: { operations: ['exec'], attributes }, action: 'Deny' }],
    });
    expect(accessPolicySpec.safeParse(spec({ privilegedPod: true, namespace: 'prod' })).success).toBe(true);
    expect(accessPolicySpec.safeParse(spec({ privilegedPod: { nested: true } })).success).toBe(false);
  });

  it('carry what a reviewer needs on an ApprovalRequest', () => {
    const shape = Object.keys(approvalRequestSpec.shape);
    expect(shape).toEqual(
      expect.arrayContaining([
        'requester',
        'connection',
        'command',
        'policy',
        'rule',
        'approverGroups',
        'minApprovals',
        'expiresAt',
        'reviews',
      ]),
    );
  });
});
