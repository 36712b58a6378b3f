// The state the write gate decides by: confirmation tokens (single use) and the charges of the
// last 24 hours (the duplicate rule, the daily cap, unanswered attempts). One process keeps it
// in memory (stdio, or one HTTP replica); replicas share it in Redis (src/state/redis-write-state.ts).
// Each check-and-change is atomic wherever the state lives: two confirmations of one token, or
// two charges that would together pass the cap, can never both go through.
import type { ChargeIdentity, ChargeLedger, ChargeRules, LedgerCharge } from "./charge-ledger.js";
import { ConfirmationTokens } from "./confirmation-gate.js";
import type { Claim } from "./confirmation-gate.js";

/** A charge counted before its RPC is sent: settle it with its outcome. */
export interface SharedReservation {
  executed(invoiceId: string | undefined): Promise<void>;
  /** `uncertain`: it may have taken effect, so it stays counted. */
  failed(uncertain: boolean): Promise<void>;
  /** The attempt was never sent (its audit line could not be written). */
  cancel(): Promise<void>;
}

export interface WriteState {
  /** "in-process" or "redis", for the start-up line and /healthz. */
  readonly kind: string;
  issueToken(tool: string, args: string, subject: string | undefined): Promise<{ token: string; expiresAt: number }>;
  revokeToken(token: string): Promise<void>;
  /** Checks and spends the token in one atomic step. */
  claimToken(token: string, tool: string, args: string, subject: string | undefined): Promise<Claim>;
  /** Executed and unresolved charges to `orgId` in the last 24 hours, oldest first. */
  recent(orgId: string): Promise<LedgerCharge[]>;
  /** Why the rules refuse `identity` now, or undefined. */
  problems(identity: ChargeIdentity, rules: ChargeRules): Promise<string | undefined>;
  /** Checks the rules and counts the charge as unresolved in one atomic step: why it is refused, or its reservation. */
  reserve(identity: ChargeIdentity, rules: ChargeRules): Promise<{ refused: string } | SharedReservation>;
  /** For /healthz: whether the state can be reached. */
  health(): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

/** Today's behaviour: tokens and the ledger in this process's memory. The async methods do their work before any await, so they stay atomic. */
export class InProcessWriteState implements WriteState {
  readonly kind = "in-process";
  private readonly tokens: ConfirmationTokens;

  constructor(
    private readonly ledger: ChargeLedger,
    ttlMs: number,
    now: () => number,
  ) {
    this.tokens = new ConfirmationTokens(ttlMs, now);
  }

  async issueToken(tool: string, args: string, subject: string | undefined) {
    return this.tokens.issue(tool, args, subject);
  }

  async revokeToken(token: string) {
    this.tokens.revoke(token);
  }

  async claimToken(token: string, tool: string, args: string, subject: string | undefined) {
    return this.tokens.claim(token, tool, args, subject);
  }

  async recent(orgId: string) {
    return this.ledger.recent(orgId);
  }

  async problems(identity: ChargeIdentity, rules: ChargeRules) {
    return this.ledger.problems(identity, rules);
  }

  async reserve(identity: ChargeIdentity, rules: ChargeRules): Promise<{ refused: string } | SharedReservation> {
    const reservation = this.ledger.reserve(identity, rules);
    if ("refused" in reservation) return reservation;
    return {
      executed: async (invoiceId) => reservation.executed(invoiceId),
      failed: async (uncertain) => reservation.failed(uncertain),
      cancel: async () => reservation.cancel(),
    };
  }

  async health() {
    return { state: this.kind };
  }

  async close() {}
}
