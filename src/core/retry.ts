// Retry with backoff, for every upstream (Viam's gRPC-web, Latitude's HTTP): each caller
// decides what is transient and safe to repeat; the wait, the budget and the log line are here.
import type { Logger } from "./logger.js";

export interface RetryPolicy {
  /** The first wait; each further one doubles, with ±50% jitter so that callers spread out. */
  baseMs: number;
  /** Tries in all, the first included. */
  maxTries: number;
}

export interface BackOff {
  policy: RetryPolicy;
  /** Tries made so far (1 after the first). */
  tries: number;
  /** Date.now() past which the call has failed: a wait that would reach it is not started. */
  deadline: number;
  signal?: AbortSignal;
  logger: Logger;
  /** Says what is retried and why: `retrying ${what} after ${reason} in N ms`. */
  what: string;
  reason: string;
  /** The upstream's own wait (e.g. Retry-After) instead of the policy's. */
  waitMs?: number;
}

/** The policy's wait before try `tries + 1`. */
export function backoffMs(policy: RetryPolicy, tries: number): number {
  return policy.baseMs * 2 ** (tries - 1) * (0.5 + Math.random());
}

/**
 * Wait before the next try if the policy's tries and the deadline allow it; true: try again.
 * A cancelled `signal` ends the wait early (and still answers true): the caller checks it.
 */
export async function backOff(b: BackOff): Promise<boolean> {
  if (b.tries >= b.policy.maxTries) return false;
  const waitMs = b.waitMs ?? backoffMs(b.policy, b.tries);
  if (Date.now() + waitMs >= b.deadline) return false;
  b.logger.log("debug", `retrying ${b.what} after ${b.reason} in ${Math.round(waitMs)} ms`);
  await sleep(waitMs, b.signal);
  return true;
}

/** Sleep `ms`, ending early (without error) when `signal` aborts; the caller checks it. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const wake = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", wake);
      resolve();
    };
    const timer = setTimeout(wake, ms);
    if (signal?.aborted) wake();
    else signal?.addEventListener("abort", wake, { once: true });
  });
}
