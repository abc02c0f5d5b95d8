/**
 * Turns the zod schemas into CustomResourceDefinitions. Pure: the script in
 * scripts/generate-crds.ts writes the result, and a test fails when the committed YAML drifts.
 *
 * zod's JSON Schema is close to what the API server wants but not a structural schema
 * (https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/#specifying-a-structural-schema):
 * it has `additionalProperties: false` beside `properties`, unions as `anyOf` with types inside,
 * and regex patterns for formats the API server already knows. `toStructural` rewrites those and
 * refuses anything it cannot express, so a schema change that would produce a bad CRD fails here.
 */
import { z } from 'zod';
import { GROUP, VERSION, kinds, type KindDefinition } from './schemas/index.js';

type JsonSchema = Record<string, unknown>;

/** Keys a structural schema may carry, as the API server accepts them. */
const KEPT_KEYS = new Set([
  'type',
  'description',
  'properties',
  'required',
  'items',
  'enum',
  'default',
  'format',
  'pattern',
  'minimum',
  'maximum',
  'minLength',
  'maxLength',
  'minItems',
  'maxItems',
  'nullable',
  'additionalProperties',
  'x-kubernetes-validations',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-int-or-string',
]);

const SCALAR_TYPES = new Set(['string', 'boolean', 'integer', 'number']);

export class CrdGenerationError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
    this.name = 'CrdGenerationError';
  }
}

export function toStructural(node: JsonSchema, path = '$'): JsonSchema {
  if ('$ref' in node) throw new CrdGenerationError(path, '$ref is not allowed in a structural schema');
  if ('oneOf' in node || 'allOf' in node)
    throw new CrdGenerationError(path, 'oneOf/allOf cannot be expressed');

  if ('anyOf' in node) {
    const variants = node.anyOf as JsonSchema[];
    const allScalar = variants.every((v) => typeof v.type === 'string' && SCALAR_TYPES.has(v.type));
    if (!allScalar) throw new CrdGenerationError(path, 'only unions of scalar types can be expressed');
    // An untyped node: the CEL rule the schema carries keeps the value to the union's types.
    const rest = Object.fromEntries(Object.entries(node).filter(([k]) => k !== 'anyOf'));
    return { ...toStructural(rest, path), 'x-kubernetes-preserve-unknown-fields': true };
  }

  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(node)) {
    if (!KEPT_KEYS.has(key)) continue;
    if (key === 'properties') {
      out.properties = Object.fromEntries(
        Object.entries(value as Record<string, JsonSchema>).map(([name, child]) => [
          name,
          toStructural(child, `${path}.${name}`),
        ]),
      );
    } else if (key === 'items') {
      out.items = toStructural(value as JsonSchema, `${path}[]`);
    } else if (key === 'additionalProperties') {
      // `false` is zod's strictness; the API server prunes and (with kubectl's strict field
      // validation) reports unknown fields itself, and forbids it beside `properties`.
      if (typeof value === 'object' && value !== null) {
        out.additionalProperties = toStructural(value as JsonSchema, `${path}.*`);
      }
    } else if (key === 'pattern' && node.format === 'date-time') {
      // zod spells RFC 3339 as a long regex; `format: date-time` says the same to the API server.
      continue;
    } else if (key === 'maximum' && value === Number.MAX_SAFE_INTEGER) {
      continue;
    } else if (key === 'minimum' && value === Number.MIN_SAFE_INTEGER) {
      continue;
    } else {
      out[key] = value;
    }
  }
  return out;
}

/** The JSON Schema zod produces for a CRD part; the CRD and its docs page are both made from it. */
export function jsonSchemaOf(schema: z.ZodType): JsonSchema {
  return z.toJSONSchema(schema, {
    target: 'openapi-3.0',
    io: 'input',
    reused: 'inline',
    cycles: 'throw',
    unrepresentable: 'throw',
  }) as JsonSchema;
}

export function customResourceDefinition(def: KindDefinition): Record<string, unknown> {
  const spec = toStructural(jsonSchemaOf(def.spec), `${def.kind}.spec`);
  const status = toStructural(jsonSchemaOf(def.status), `${def.kind}.status`);
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${def.plural}.${GROUP}`,
      labels: { 'app.kubernetes.io/part-of': 'crewgate' },
    },
    spec: {
      group: GROUP,
      scope: 'Namespaced',
      names: {
        kind: def.kind,
        listKind: `${def.kind}List`,
        plural: def.plural,
        singular: def.singular,
        shortNames: def.shortNames,
        categories: ['crewgate'],
      },
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: def.printerColumns,
          schema: {
            openAPIV3Schema: {
              description: def.description,
              type: 'object',
              required: ['spec'],
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: { type: 'object' },
                spec,
                status,
              },
            },
          },
        },
      ],
    },
  };
}

/** File name to CRD object, for every kind. */
export function allCustomResourceDefinitions(): Map<string, Record<string, unknown>> {
  return new Map(kinds.map((def) => [`${GROUP}_${def.plural}.yaml`, customResourceDefinition(def)]));
}
