/**
 * Masks DataRows before they reach the agent (DESIGN.md §5). Columns are named by where they come
 * from (the catalog's table and column behind a RowDescription's OIDs) so an alias cannot dodge a
 * column selector; values in text format are masked through the policy core's Masker. A value in
 * binary format the proxy cannot read as text is refused rather than passed unmasked.
 */
import type { Masker, ResultColumn } from '../masking/index.js';
import { encodeDataRow, splitDataRow, type BackendFrame } from './backend-messages.js';
import type { CatalogLookup } from './catalog.js';
import type { ColumnInfo } from './response-tracker.js';

/** Types whose binary form is their UTF-8 text (jsonb adds a version byte). */
const TEXT_LIKE = new Set([
  25 /* text */, 1043 /* varchar */, 1042 /* bpchar */, 19 /* name */, 114 /* json */, 705 /* unknown */,
]);
const JSONB = 3802;
/** Binary types that cannot carry a detectable string: passed as they are. */
const HARMLESS_BINARY = new Set([
  16 /* bool */, 21 /* int2 */, 23 /* int4 */, 26 /* oid */, 700 /* float4 */, 701 /* float8 */,
  1082 /* date */, 1083 /* time */, 1114 /* timestamp */, 1184 /* timestamptz */, 1186 /* interval */,
  2950 /* uuid */, 1266 /* timetz */,
]);

export class BinaryColumnError extends Error {
  override name = 'BinaryColumnError';
}

export interface RowPlan {
  columns: ResultColumn[];
  formats: ('text' | 'binary-text' | 'jsonb' | 'pass')[];
}

export class ResultMasker {
  private readonly plans = new WeakMap<ColumnInfo[], RowPlan>();

  constructor(
    readonly masker: Masker,
    private readonly catalog: CatalogLookup,
  ) {}

  /** Table OIDs whose names must be loaded before rows of `columns` can be masked. */
  tablesToLoad(columns: ColumnInfo[]): number[] {
    return this.catalog.missing(columns.map((c) => c.tableOid));
  }

  plan(columns: ColumnInfo[]): RowPlan {
    const cached = this.plans.get(columns);
    if (cached) return cached;
    const plan: RowPlan = {
      columns: columns.map((c) => {
        const source = c.tableOid !== 0 ? this.catalog.get(c.tableOid, c.columnNumber) : undefined;
        return source ? { name: source.column, table: source.table } : { name: c.name };
      }),
      formats: columns.map((c) => {
        if (c.format === 0) return 'text';
        if (TEXT_LIKE.has(c.typeOid)) return 'binary-text';
        if (c.typeOid === JSONB) return 'jsonb';
        if (HARMLESS_BINARY.has(c.typeOid)) return 'pass';
        throw new BinaryColumnError(
          `column "${c.name}" is requested in binary format (type oid ${c.typeOid}), which crewgate cannot mask; request text format`,
        );
      }),
    };
    this.plans.set(columns, plan);
    return plan;
  }

  /** A row whose columns were never described (text format assumed): detectors and patterns only. */
  maskUndescribedRow(frame: BackendFrame): { raw: Buffer; maskedFields: number } {
    const count = frame.raw.readInt16BE(5);
    return this.maskDataRow(frame, {
      columns: Array.from({ length: count }, () => ({ name: '' })),
      formats: Array(count).fill('text'),
    });
  }

  /** The DataRow to send on, and how many fields were masked. */
  maskDataRow(frame: BackendFrame, plan: RowPlan): { raw: Buffer; maskedFields: number } {
    const fields = splitDataRow(frame);
    const texts: (string | null)[] = fields.map((value, i) => {
      if (value === null) return null;
      switch (plan.formats[i]) {
        case 'jsonb':
          return value.toString('utf8', 1);
        case 'pass':
          return null;
        default:
          return value.toString('utf8');
      }
    });
    const { values, maskedFields } = this.masker.maskRow(plan.columns, texts);
    if (maskedFields === 0) return { raw: frame.raw, maskedFields: 0 };
    const out = fields.map((original, i) => {
      const masked = values[i];
      if (masked === texts[i] || masked === null || masked === undefined) return original;
      return plan.formats[i] === 'jsonb'
        ? Buffer.concat([Buffer.from([1]), Buffer.from(masked, 'utf8')])
        : Buffer.from(masked, 'utf8');
    });
    return { raw: encodeDataRow(out), maskedFields };
  }
}
