/**
 * Turns the zod schemas into one reference page per CRD (docs/crd-*.md). Pure, like the CRD
 * generator beside it: it reads the same JSON Schema (`jsonSchemaOf`) the CRD YAML is made from, so
 * a field, default or description changed in crds/schemas/ changes the page, and the drift test in
 * crds/generate.test.ts fails until `npm run generate` is run. A field without a description is an
 * error here rather than an empty cell a reader has to guess at.
 */
import { jsonSchemaOf } from './generate.js';
import { API_VERSION, type KindDefinition } from './schemas/index.js';

type JsonSchema = Record<string, unknown>;

/** One documented field: its dotted path under `spec` or `status` and what a reader needs to set it. */
export interface FieldRow {
  path: string;
  type: string;
  required: boolean;
  default?: string;
  constraints: string[];
  description: string;
}

export class DocGenerationError extends Error {
  constructor(readonly paths: string[]) {
    super(`fields without a description (add .describe() in crds/schemas/): ${paths.join(', ')}`);
    this.name = 'DocGenerationError';
  }
}

/** The example shown on a kind's page: a manifest from examples/ and where it lives. */
export interface DocExample {
  file: string;
  text: string;
}

const code = (value: unknown) => `\`${typeof value === 'string' ? value : JSON.stringify(value)}\``;

function typeOf(node: JsonSchema): string {
  if (Array.isArray(node.anyOf)) return (node.anyOf as JsonSchema[]).map(typeOf).join(' or ');
  if (node.type === 'array') return `array of ${typeOf((node.items ?? {}) as JsonSchema)}`;
  if (node.type === 'object' && typeof node.additionalProperties === 'object')
    return `map of string to ${typeOf(node.additionalProperties as JsonSchema)}`;
  if (node.format === 'date-time') return 'string (RFC 3339 time)';
  return typeof node.type === 'string' ? node.type : 'any';
}

function constraintsOf(node: JsonSchema): string[] {
  const out: string[] = [];
  if (Array.isArray(node.enum)) out.push(`one of ${node.enum.map(code).join(', ')}`);
  const bound = (key: string, label: string) => {
    const v = node[key];
    if (typeof v === 'number' && Math.abs(v) !== Number.MAX_SAFE_INTEGER) out.push(`${label} ${v}`);
  };
  bound('minimum', 'min');
  bound('maximum', 'max');
  bound('minLength', 'min length');
  bound('maxLength', 'max length');
  bound('minItems', 'min items');
  bound('maxItems', 'max items');
  if (typeof node.pattern === 'string' && node.format !== 'date-time')
    out.push(`pattern ${code(node.pattern)}`);
  const items = node.items as JsonSchema | undefined;
  if (items && Array.isArray(items.enum)) out.push(`items one of ${items.enum.map(code).join(', ')}`);
  if (items && typeof items.pattern === 'string') out.push(`items match ${code(items.pattern)}`);
  for (const v of (node['x-kubernetes-validations'] ?? []) as { message: string }[])
    out.push(`rule: ${v.message}`);
  for (const v of (items?.['x-kubernetes-validations'] ?? []) as { message: string }[])
    out.push(`each item: ${v.message}`);
  if (node['x-kubernetes-list-type'] === 'map')
    out.push(`list keyed by ${(node['x-kubernetes-list-map-keys'] as string[]).map(code).join(', ')}`);
  return out;
}

/** Every field under `node`, depth first, in the schema's own order. */
export function fieldRows(node: JsonSchema, prefix: string): FieldRow[] {
  const rows: FieldRow[] = [];
  const properties = (node.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((node.required ?? []) as string[]);
  for (const [name, child] of Object.entries(properties)) {
    const path = `${prefix}.${name}`;
    rows.push({
      path,
      type: typeOf(child),
      required: required.has(name),
      ...('default' in child ? { default: code(child.default) } : {}),
      constraints: constraintsOf(child),
      description: typeof child.description === 'string' ? child.description : '',
    });
    if (child.type === 'object') rows.push(...fieldRows(child, path));
    const items = child.items as JsonSchema | undefined;
    if (child.type === 'array' && items?.type === 'object') rows.push(...fieldRows(items, `${path}[]`));
    const values = child.additionalProperties;
    if (typeof values === 'object' && (values as JsonSchema).type === 'object')
      rows.push(...fieldRows(values as JsonSchema, `${path}.<key>`));
  }
  return rows;
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function table(rows: FieldRow[]): string {
  const lines = [
    '| Field | Type | Required | Default | Constraints | Description |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of rows) {
    lines.push(
      `| ${[
        code(r.path),
        r.type,
        r.required ? 'yes' : 'no',
        r.default ?? '',
        r.constraints.join('; '),
        r.description,
      ]
        .map(cell)
        .join(' | ')} |`,
    );
  }
  return lines.join('\n');
}

/** Hand-written pages that explain what the fields mean; the reference links rather than repeats them. */
const SEE_ALSO: Record<string, string[]> = {
  Connection: [
    '[The PostgreSQL proxy](postgres-proxy.md): what the sidecar does with a postgres Connection',
    '[Operations: status conditions](operations.md#status-conditions): what Ready and CredentialsResolved say',
  ],
  AccessPolicy: [
    '[The policy language](policy-language.md): subjects, rule order, matching, observe-only, approvals',
    '[Operations: status conditions](operations.md#status-conditions): Valid and MaskingResolved',
    '[SQL operations](operations-sql.md) and [shell, Kubernetes and HTTP operations](operations-shell-kubernetes-http.md): what `match.operations` and `match.resources` see',
  ],
  MaskingRule: [
    '[The policy language: Masking](policy-language.md#masking): selectors, detectors, strategies',
  ],
  ApprovalRequest: [
    '[The policy language: Approvals and Window grants](policy-language.md#approvals-and-window-grants)',
    '[Threat model](threat-model.md): who may review, and what the review webhook stamps',
  ],
};

/** The markdown reference page for one kind. Throws DocGenerationError when a field has no description. */
export function crdDocument(def: KindDefinition, example: DocExample): string {
  const spec = fieldRows(jsonSchemaOf(def.spec), 'spec');
  const status = fieldRows(jsonSchemaOf(def.status), 'status');
  const undocumented = [...spec, ...status].filter((r) => !r.description).map((r) => r.path);
  if (undocumented.length > 0) throw new DocGenerationError(undocumented);
  const validations = (
    (jsonSchemaOf(def.spec)['x-kubernetes-validations'] ?? []) as { message: string }[]
  ).map((v) => `- ${v.message}`);
  return [
    `<!-- Generated by \`npm run generate\` from crds/schemas/ (crds/generate-docs.ts). Do not edit by hand. -->`,
    `# ${def.kind}`,
    '',
    def.description,
    '',
    `\`apiVersion: ${API_VERSION}\`, \`kind: ${def.kind}\`, namespaced. ` +
      `\`kubectl get ${def.plural}\` (short name${def.shortNames.length > 1 ? 's' : ''} ${def.shortNames.map(code).join(', ')}, category \`crewgate\`).`,
    '',
    '## Example',
    '',
    `From [${example.file}](../${example.file}):`,
    '',
    '```yaml',
    example.text.trimEnd(),
    '```',
    '',
    '## spec',
    '',
    ...(validations.length > 0
      ? ['The API server refuses a spec where these do not hold:', '', ...validations, '']
      : []),
    table(spec),
    '',
    '## status',
    '',
    'Written by the operator (through the status subresource); never set it by hand.',
    '',
    table(status),
    '',
    '## Printer columns',
    '',
    `\`kubectl get ${def.plural}\` shows: ${def.printerColumns.map((c) => `${c.name} (${code(c.jsonPath)})`).join(', ')}.`,
    '',
    '## See also',
    '',
    ...(SEE_ALSO[def.kind] ?? []).map((l) => `- ${l}`),
    '',
  ].join('\n');
}

/** docs/ file name of a kind's page: `docs/crd-accesspolicy.md`. */
export const docFileName = (def: KindDefinition) => `crd-${def.kind.toLowerCase()}.md`;
