/**
 * How numbers are shown wherever the leaderboard is (terminal, site, PR comment), so that no
 * two views round or write them differently.
 */

/** A fraction as a percentage with `digits` decimals; `missing` where there is no value. */
export function percent(x: number | null | undefined, digits = 1, missing = '–'): string {
  return x === null || x === undefined ? missing : (100 * x).toFixed(digits);
}

/** Hours as H:MM, rounded down to the minute (9.662 h -> 9:39, as the publication shows it). */
export function hoursMinutes(h: number): string {
  const minutes = Math.floor(h * 60);
  return `${Math.floor(minutes / 60)}:${String(minutes % 60).padStart(2, '0')}`;
}

/** One CSV line (RFC 4180 quoting); null and undefined are empty fields. */
export function csvLine(values: readonly unknown[]): string {
  return values
    .map((v) => {
      const s = v === null || v === undefined ? '' : String(v);
      return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
    })
    .join(',');
}
