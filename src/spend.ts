// Month-end projection for billing_spend_overview, written once so every provider's row is
// projected the same way and the method the answer states is the method used.

const DAY_MS = 86_400_000;

export const PROJECTION_METHOD =
  "linear: month-to-date spend divided by the elapsed share of the current billing period (at least one day counted), i.e. the rest of the period is assumed to cost what the elapsed part did per day";

export interface Period {
  start: Date;
  end: Date;
}

/** The share of the period elapsed at `now` (0-1), and the linear month-end figure; null for an empty period. */
export function projectLinear(monthToDate: number, period: Period, now: Date): { elapsedShare: number; projected: number } | null {
  const length = period.end.getTime() - period.start.getTime();
  if (!(length > 0)) return null;
  // A floor of one day keeps a charge made in the first minutes from projecting to millions.
  const elapsed = Math.min(Math.max(now.getTime() - period.start.getTime(), Math.min(DAY_MS, length)), length);
  const elapsedShare = elapsed / length;
  return { elapsedShare, projected: monthToDate / elapsedShare };
}

/** Change from `from` to `to` in percent, one decimal; null when there is nothing to compare with. */
export function percentChange(from: number, to: number): number | null {
  if (from === 0) return null;
  return Math.round(((to - from) / from) * 1000) / 10;
}

/** Viam bills calendar months: take the period GetCurrentMonthUsage reports, else the month of `now`. */
export function viamPeriod(start: Date | undefined, end: Date | undefined, now: Date): Period {
  const first = start ?? new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const next = end && end > first ? end : new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 1));
  return { start: first, end: next };
}
