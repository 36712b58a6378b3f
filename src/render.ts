// Rendering shared by every tool: money, dates, and compact lines for a model's context.
import type { Timestamp } from "@bufbuild/protobuf";

export const SANDBOX_NOTICE = "SANDBOX DATA: demo figures from the embedded sandbox, not real billing.";

/** Money in USD, two decimals: "1234.50 USD". */
export function usd(amount: number): string {
  return `${amount.toFixed(2)} USD`;
}

/** Bare two-decimal figure for lists where the currency is stated once. */
export function money(amount: number): string {
  return amount.toFixed(2);
}

/** Round to cents for structured output, so 0.1 + 0.2 shows as 0.3. */
export function cents(amount: number): number {
  return Math.round(amount * 100) / 100;
}

function toDate(ts: Timestamp | undefined): Date | undefined {
  if (!ts) return undefined;
  const ms = Number(ts.seconds) * 1000 + Math.floor(ts.nanos / 1e6);
  return ms === 0 ? undefined : new Date(ms);
}

/** ISO date (YYYY-MM-DD, UTC) or null when the timestamp is unset. */
export function isoDate(ts: Timestamp | undefined): string | null {
  return toDate(ts)?.toISOString().slice(0, 10) ?? null;
}

/** ISO date-time to the second (UTC) or null when unset. */
export function isoDateTime(ts: Timestamp | undefined): string | null {
  const d = toDate(ts);
  return d ? d.toISOString().replace(/\.\d{3}Z$/, "Z") : null;
}
