/**
 * What every detector returns: the half-open ranges `[start, end)` of `text` that hold a detected
 * value. Detectors are pure functions of the text, so each can be tested alone and the scanner can
 * merge their findings.
 */

/** A detected value at `text.slice(start, end)`. */
export interface Span {
  start: number;
  end: number;
}

/** A detector: finds every value of one kind in a text, left to right, non-overlapping. */
export type DetectorFn = (text: string) => Span[];
