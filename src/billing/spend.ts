// Month-end projection for billing_spend_overview, written once so every provider's row is
// projected the same way and the method the answer states is the method used.

/** How many earlier periods the projection averages. */
export const HISTORY_PERIODS = 3;
/** Without history, no projection before this share of the period has passed. */
export const MIN_SHARE_WITHOUT_HISTORY = 0.2;
/** Without history, the range: the rest of the period at this much less or more than the rate so far. */
const NO_HISTORY_SPREAD = 0.3;

export const PROJECTION_METHOD =
  "month-to-date plus the rest of the period at a rate that blends this period's rate so far with the average invoiced total of up to 3 earlier periods, the rate so far weighing as much as the share of the period that has passed; the range takes the lowest and highest earlier period instead of the average (with no earlier periods: the rate so far ±30%, and no figure before 20% of the period has passed)";

export interface Period {
  start: Date;
  end: Date;
}

export type ProjectionBasis = "history and month-to-date" | "month-to-date only" | "not meaningful yet";

export interface Projection {
  basis: ProjectionBasis;
  /** Share of the period elapsed, 0-1. */
  elapsedShare: number;
  /** Point estimate and its range; null when not meaningful yet. */
  projected: number | null;
  low: number | null;
  high: number | null;
}

/**
 * Month-end figure from what the period has cost so far and what earlier periods cost
 * (`history`: their totals, newest first; may be empty). Null for an empty period.
 */
export function projectMonthEnd(monthToDate: number, period: Period, now: Date, history: readonly number[]): Projection | null {
  const length = period.end.getTime() - period.start.getTime();
  if (!(length > 0)) return null;
  const share = Math.min(Math.max((now.getTime() - period.start.getTime()) / length, 0), 1);
  const rest = 1 - share;
  if (history.length > 0) {
    // share * (monthToDate / share) is monthToDate itself: the rate so far needs no division,
    // so a charge in the first minute cannot blow up.
    const at = (typical: number) => monthToDate + rest * (monthToDate + rest * typical);
    const average = history.reduce((a, b) => a + b, 0) / history.length;
    return { basis: "history and month-to-date", elapsedShare: share, projected: at(average), low: at(Math.min(...history)), high: at(Math.max(...history)) };
  }
  if (share < MIN_SHARE_WITHOUT_HISTORY) return { basis: "not meaningful yet", elapsedShare: share, projected: null, low: null, high: null };
  const restAtRate = (rest * monthToDate) / share;
  return {
    basis: "month-to-date only",
    elapsedShare: share,
    projected: monthToDate + restAtRate,
    low: monthToDate + restAtRate * (1 - NO_HISTORY_SPREAD),
    high: monthToDate + restAtRate * (1 + NO_HISTORY_SPREAD),
  };
}

/** `d` moved by `months` calendar months, same day and time of day (the last day when the month is shorter). */
export function addMonths(d: Date, months: number): Date {
  const target = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + months, 1));
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(d.getUTCDate(), lastDay));
  target.setUTCHours(d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds());
  return target;
}

/** The `count` full periods before `period`, newest first, for monthly billing periods. */
export function previousPeriods(period: Period, count = HISTORY_PERIODS): Period[] {
  return Array.from({ length: count }, (_, i) => ({ start: addMonths(period.start, -(i + 1)), end: addMonths(period.start, -i) }));
}

/**
 * What was invoiced in each of `periods` (every invoice dated in it, so weekly billing counts
 * whole), newest first; periods that end before the first invoice are not history and are left out.
 */
export function invoicedPerPeriod(invoices: readonly { date: Date; amount: number }[], periods: readonly Period[]): number[] {
  if (invoices.length === 0) return [];
  const first = Math.min(...invoices.map((i) => i.date.getTime()));
  return periods
    .filter((p) => p.end.getTime() > first)
    .map((p) => invoices.filter((i) => i.date >= p.start && i.date < p.end).reduce((sum, i) => sum + i.amount, 0));
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
