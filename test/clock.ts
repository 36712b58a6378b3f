// The tests' one clock. Every suite runs at a pinned instant (BILLING_MCP_TEST_NOW, default
// mid-month, when the sandbox has usage on every line), servers are spawned with BILLING_MCP_NOW set
// to the same reading, and sandboxes started in a test get this clock. test/calendar.test.ts
// runs the date-dependent suites again at each of CALENDAR_INSTANTS.
import { clockStartingAt } from "../src/core/clock.js";

export const CALENDAR_INSTANTS = {
  "1st, 00:01 UTC": "2026-12-01T00:01:00Z",
  "1st, 23:59 UTC": "2026-12-01T23:59:00Z",
  "mid-month": "2026-12-15T12:00:00Z",
  "last hour of a month": "2026-12-31T23:30:00Z",
  "leap day": "2028-02-29T12:00:00Z",
  "just before the Latitude sandbox period starts mid-month": "2027-01-05T15:50:00Z",
  "just after it starts": "2027-01-05T16:00:00Z",
} as const;

export const TEST_START = new Date(process.env.BILLING_MCP_TEST_NOW ?? CALENDAR_INSTANTS["mid-month"]);
if (Number.isNaN(TEST_START.getTime())) throw new Error(`BILLING_MCP_TEST_NOW is not a date: ${process.env.BILLING_MCP_TEST_NOW}`);

/** Starts at TEST_START when the test file loads and advances in real time (token lifetimes still pass). */
export const testClock = clockStartingAt(TEST_START);

/** Environment that starts a spawned server's clock where the test clock is now. */
export const clockEnv = (): Record<string, string> => ({ BILLING_MCP_NOW: testClock().toISOString() });
