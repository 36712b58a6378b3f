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

/**
 * Cents (Latitude.sh's unit) as USD. Unit prices can be fractions of a cent, so up to
 * `maxDecimals` are shown, never fewer than two: 0.5 cents -> "0.005 USD".
 */
export function usdFromCents(amountCents: number, maxDecimals = 2): string {
  const fixed = (amountCents / 100).toFixed(maxDecimals);
  return `${maxDecimals > 2 ? fixed.replace(/(\.\d\d\d*?)0+$/, "$1") : fixed} USD`;
}

/** Percent with one decimal and a sign: "+12.5%". */
export function signedPercent(value: number): string {
  return `${value > 0 ? "+" : ""}${value.toFixed(1)}%`;
}

export function toDate(ts: Timestamp | undefined): Date | undefined {
  if (!ts) return undefined;
  const ms = Number(ts.seconds) * 1000 + Math.floor(ts.nanos / 1e6);
  return ms === 0 ? undefined : new Date(ms);
}

/** ISO date (YYYY-MM-DD, UTC). */
export const dateOnly = (d: Date): string => d.toISOString().slice(0, 10);
/** ISO date-time to the second (UTC). */
export const dateTime = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, "Z");

/** ISO date (YYYY-MM-DD, UTC) or null when the timestamp is unset. */
export function isoDate(ts: Timestamp | undefined): string | null {
  const d = toDate(ts);
  return d ? dateOnly(d) : null;
}

/** ISO date-time to the second (UTC) or null when unset. */
export function isoDateTime(ts: Timestamp | undefined): string | null {
  const d = toDate(ts);
  return d ? dateTime(d) : null;
}

/** ISO date of Unix seconds as Viam sends some dates (int64); null when unset (0). */
export function isoDateFromSeconds(seconds: bigint): string | null {
  return seconds > 0n ? dateOnly(new Date(Number(seconds) * 1000)) : null;
}
