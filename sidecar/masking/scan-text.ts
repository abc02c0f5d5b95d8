/**
 * Masks detected values inside a text: runs every finder (built-in detectors, custom patterns),
 * merges overlapping findings, and replaces each merged span with its strictest strategy's mask.
 *
 * Idempotency: masks are protected regions. A built-in detector's finding that overlaps a marker is
 * dropped (built-in detectors never match a marker, so such an overlap can only come from a value
 * glued to a marker, which the first pass already saw). A custom pattern's finding is masked outside
 * markers only, so `.+`-style patterns cannot swallow and re-mask a marker, yet still mask what
 * surrounds it.
 */
import type { Span } from './detectors/span.js';
import type { Strategy } from './strategies.js';

/** One source of findings with the strategy and marker kind its findings get. */
export interface Finder {
  /** Marker kind: the detector name or the custom pattern's marker name. */
  readonly kind: string;
  readonly find: (text: string) => Span[];
  readonly strategy: Strategy;
  /** Custom patterns are clipped around markers; built-in detectors drop overlapping findings. */
  readonly custom: boolean;
}

interface Hit {
  start: number;
  end: number;
  finder: number;
  strategy: Strategy;
}

export type TextScanner = (text: string) => { text: string; count: number };

/**
 * Passes before giving up on a fixpoint. Each pass that changes anything strictly reduces the
 * unmasked letters and digits, so this is only a bound on pathological inputs; in practice a second
 * pass confirms the first.
 */
export const MAX_PASSES = 8;

/**
 * Builds a scanner over `finders` (in priority order) that leaves `protect`ed regions alone. The
 * scanner repeats until a pass finds nothing new: masking one value can change what a detector sees
 * next to it (a phone number followed by a masked e-mail, the kept tail of a partially masked
 * address), and repeating to a fixpoint is what makes `scan(scan(x)) === scan(x)`.
 */
export function makeTextScanner(finders: readonly Finder[], protect: (text: string) => Span[]): TextScanner {
  if (finders.length === 0) return (text) => ({ text, count: 0 });
  const once = scanOnce(finders, protect);
  return (text) => {
    let current = once(text);
    if (current.count === 0) return current;
    let total = current.count;
    for (let pass = 1; pass < MAX_PASSES; pass++) {
      const next = once(current.text);
      if (next.count === 0) break;
      total += next.count;
      current = next;
    }
    return { text: current.text, count: total };
  };
}

function scanOnce(finders: readonly Finder[], protect: (text: string) => Span[]): TextScanner {
  return (text) => {
    if (text.length === 0) return { text, count: 0 };
    const hits: Hit[] = [];
    let regions: Span[] | undefined;
    for (let f = 0; f < finders.length; f++) {
      const finder = finders[f] as Finder;
      const spans = finder.find(text);
      if (spans.length === 0) continue;
      regions ??= protect(text);
      for (const s of spans) {
        if (s.end <= s.start) continue;
        if (regions.length === 0)
          hits.push({ start: s.start, end: s.end, finder: f, strategy: finder.strategy });
        else if (finder.custom) {
          for (const piece of outside(s, regions))
            hits.push({ ...piece, finder: f, strategy: finder.strategy });
        } else if (!regions.some((r) => r.start < s.end && s.start < r.end)) {
          hits.push({ start: s.start, end: s.end, finder: f, strategy: finder.strategy });
        }
      }
    }
    if (hits.length === 0) return { text, count: 0 };
    hits.sort((a, b) => a.start - b.start || a.finder - b.finder);

    let out = '';
    let pos = 0;
    let count = 0;
    let i = 0;
    while (i < hits.length) {
      const first = hits[i] as Hit;
      let end = first.end;
      let strategy = first.strategy;
      i++;
      while (i < hits.length && (hits[i] as Hit).start < end) {
        const h = hits[i] as Hit;
        end = Math.max(end, h.end);
        if (h.strategy.rank > strategy.rank) strategy = h.strategy;
        i++;
      }
      const value = text.slice(first.start, end);
      const masked = strategy.span(value, (finders[first.finder] as Finder).kind);
      out += text.slice(pos, first.start) + masked;
      pos = end;
      if (masked !== value) count++;
    }
    out += text.slice(pos);
    return count === 0 ? { text, count: 0 } : { text: out, count };
  };
}

/** The parts of `s` outside every region (regions sorted, non-overlapping). */
function outside(s: Span, regions: readonly Span[]): Span[] {
  const pieces: Span[] = [];
  let start = s.start;
  for (const r of regions) {
    if (r.end <= start || r.start >= s.end) continue;
    if (r.start > start) pieces.push({ start, end: r.start });
    start = Math.max(start, r.end);
  }
  if (start < s.end) pieces.push({ start, end: s.end });
  return pieces;
}
