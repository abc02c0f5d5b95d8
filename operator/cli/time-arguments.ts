/**
 * `--since` / `--until` values: an ISO 8601 time, or a duration back from now (`90s`, `15m`, `2h`,
 * `7d`), which is what an auditor types most.
 */
const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function parseTimeArgument(value: string, now: Date = new Date()): Date {
  const relative = /^(\d+)([smhd])$/.exec(value.trim());
  const unit = relative ? UNITS[relative[2] ?? ''] : undefined;
  if (relative && unit) return new Date(now.getTime() - Number(relative[1]) * unit);
  const t = new Date(value);
  if (Number.isNaN(t.getTime()))
    throw new RangeError(
      `not a time: ${JSON.stringify(value)} (use ISO 8601 or a duration such as 15m, 2h, 7d)`,
    );
  return t;
}
