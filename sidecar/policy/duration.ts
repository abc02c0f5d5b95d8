/**
 * Go-style durations as Kubernetes manifests write them (`500ms`, `90s`, `10m`, `1h30m`, `1.5h`).
 * The CRD schema checks the shape; this turns it into milliseconds once, at compile time, so the
 * engine and the approval flow only ever handle numbers.
 */

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };
const PART = /([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)/y;

/**
 * Parses a duration to milliseconds. Returns `undefined` for anything that is not a sequence of
 * `<number><unit>` parts with units `ms`, `s`, `m`, `h` (no sign, no spaces, no days: a day is not
 * always 24h). Fractions are allowed (`1.5h`); the result is rounded to whole milliseconds.
 */
export function parseDuration(text: string): number | undefined {
  if (text.length === 0 || text.length > 64) return undefined;
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < text.length) {
    const start = PART.lastIndex;
    const m = PART.exec(text);
    if (m === null || m.index !== start) return undefined;
    const value = Number(m[1]);
    const unit = UNIT_MS[m[2] as string] as number;
    total += value * unit;
  }
  if (!Number.isFinite(total)) return undefined;
  return Math.round(total);
}
