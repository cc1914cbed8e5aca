export const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Sample standard deviation (n - 1); null for fewer than two values. */
export function sampleStd(xs: readonly number[]): number | null {
  if (xs.length < 2) return null;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((acc, x) => acc + (x - m) ** 2, 0) / (xs.length - 1));
}

/**
 * Competition ranks ("1224") for scores sorted or not; higher is better. Scores within
 * `epsilon` of each other tie, so floating-point noise never splits equal results.
 */
export function competitionRanks(scores: readonly number[], epsilon = 1e-12): number[] {
  return scores.map((s) => 1 + scores.filter((other) => other > s + epsilon).length);
}
