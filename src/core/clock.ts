// The one source of "now" for everything billing-related: tools, prompts, the confirmation
// gate, both sandboxes and rendering. Deadlines and timeouts measure durations and keep
// using the process's own timers; "what day is it" is only ever asked of a Clock.

export type Clock = () => Date;

export const systemClock: Clock = () => new Date();

/**
 * A clock that reads `start` now and advances in real time from there, so timeouts and
 * token lifetimes still pass while the date is pinned (tests, demos of a given day).
 */
export function clockStartingAt(start: Date, realNow: () => number = Date.now): Clock {
  const offset = start.getTime() - realNow();
  return () => new Date(realNow() + offset);
}

/** A clock that never moves: for unit tests of pure date logic. */
export const fixedClock = (at: Date): Clock => () => new Date(at.getTime());

/**
 * BILLING_MCP_NOW (an ISO date-time with a zone, e.g. 2026-12-01T00:01:00Z) starts the
 * server's clock at that instant; unset, the system clock.
 */
export function clockFromEnv(value: string | undefined): Clock {
  const raw = value?.trim();
  if (!raw) return systemClock;
  const at = /(Z|[+-]\d\d:\d\d)$/.test(raw) ? new Date(raw) : new Date(NaN);
  if (Number.isNaN(at.getTime())) throw new Error(`BILLING_MCP_NOW must be an ISO date-time with a time zone, such as 2026-12-01T00:01:00Z; got "${raw}".`);
  return clockStartingAt(at);
}
