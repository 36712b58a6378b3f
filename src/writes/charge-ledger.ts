// What has been charged, or may have been, in the last 24 hours: read from the audit log at
// start-up (so it survives restarts and crashes) and kept up to date by the confirmation gate.
// It answers the duplicate rule and the daily cap, and names attempts that never got an answer.
import { closeSync, openSync, readSync, statSync } from "node:fs";
import type { AuditEntry } from "./audit-log.js";
import type { Clock } from "../core/clock.js";
import { canonicalJson } from "../core/canonical-json.js";

export const LEDGER_WINDOW_MS = 24 * 3_600_000;
/** Only the log's tail is read at start-up: a day of charges fits many times over. */
const MAX_TAIL_BYTES = 16 * 1024 * 1024;

/** What makes two charges the same charge. */
export interface ChargeIdentity {
  tool: string;
  orgId: string;
  cents: number;
  description: string | null;
}

export interface LedgerCharge extends ChargeIdentity {
  at: Date;
  /** executed: Viam accepted it; unresolved: sent (or about to be) with no answer, or an answer that leaves it open. */
  state: "executed" | "unresolved";
  invoiceId?: string;
  /** True when it was found unresolved in the log at start-up (an earlier process stopped mid-charge). */
  fromEarlierProcess: boolean;
}

/** A charge the gate is about to send: settle it with its outcome. */
export interface Reservation {
  executed(invoiceId: string | undefined): void;
  /** `uncertain`: it may have taken effect, so it stays counted. */
  failed(uncertain: boolean): void;
  /** The attempt was never sent (its audit line could not be written). */
  cancel(): void;
}

/** The charge identity of a write call, from its tool's preview; undefined for writes that charge nothing. */
export type IdentityOf = (tool: string, args: Record<string, unknown>) => ChargeIdentity | undefined;

export const sameCharge = (a: ChargeIdentity, b: ChargeIdentity) => a.tool === b.tool && a.orgId === b.orgId && a.cents === b.cents && a.description === b.description;

export class ChargeLedger {
  private readonly charges: LedgerCharge[] = [];

  constructor(private readonly clock: Clock) {}

  /** The charges of the log at `path` for `target` (sandbox or a Viam host); a missing log is an empty one. */
  static fromAuditLog(path: string, target: string, identityOf: IdentityOf, clock: Clock): ChargeLedger {
    const ledger = new ChargeLedger(clock);
    const open = new Map<string, LedgerCharge[]>();
    for (const line of readTail(path).split("\n")) {
      let entry: (AuditEntry & { time?: string; pid?: number; target?: string }) | undefined;
      try {
        entry = JSON.parse(line) as typeof entry;
      } catch {
        continue; // a torn or foreign line
      }
      if (!entry || entry.target !== target || typeof entry.tool !== "string" || typeof entry.arguments !== "object" || entry.arguments === null) continue;
      const key = `${entry.pid}|${entry.tool}|${entry.confirmation ?? ""}|${canonicalJson(entry.arguments)}`;
      if (entry.outcome === "attempt") {
        let identity: ChargeIdentity | undefined;
        try {
          identity = identityOf(entry.tool, entry.arguments);
        } catch {
          identity = undefined;
        }
        const at = new Date(entry.time ?? NaN);
        if (!identity || Number.isNaN(at.getTime())) continue;
        const charge: LedgerCharge = { ...identity, at, state: "unresolved", fromEarlierProcess: true };
        ledger.charges.push(charge);
        open.set(key, [...(open.get(key) ?? []), charge]);
      } else if (entry.outcome === "executed" || entry.outcome === "failed") {
        const charge = open.get(key)?.shift();
        if (!charge) continue;
        charge.fromEarlierProcess = false;
        if (entry.outcome === "executed") Object.assign(charge, { state: "executed", invoiceId: entry.invoice_id });
        else if (!entry.uncertain) ledger.charges.splice(ledger.charges.indexOf(charge), 1);
      }
    }
    return ledger;
  }

  /** Executed and unresolved charges to `orgId` in the last 24 hours, oldest first. */
  recent(orgId: string): LedgerCharge[] {
    const since = this.clock().getTime() - LEDGER_WINDOW_MS;
    return this.charges.filter((c) => c.orgId === orgId && c.at.getTime() > since);
  }

  /** Attempts an earlier process left without an answer, in the last 24 hours. */
  unresolvedFromEarlier(): LedgerCharge[] {
    const since = this.clock().getTime() - LEDGER_WINDOW_MS;
    return this.charges.filter((c) => c.fromEarlierProcess && c.state === "unresolved" && c.at.getTime() > since);
  }

  /**
   * Synchronously checks the rules and counts the charge as unresolved, so that concurrent
   * confirmations cannot both pass: the reason it is refused, or its reservation.
   */
  reserve(identity: ChargeIdentity, rules: { allowDuplicate: boolean; maxDailyCents: number }): { refused: string } | Reservation {
    const problem = this.problems(identity, rules);
    if (problem) return { refused: problem };
    const charge: LedgerCharge = { ...identity, at: this.clock(), state: "unresolved", fromEarlierProcess: false };
    this.charges.push(charge);
    const drop = () => {
      const i = this.charges.indexOf(charge);
      if (i >= 0) this.charges.splice(i, 1);
    };
    return {
      executed: (invoiceId) => Object.assign(charge, { state: "executed", invoiceId }),
      failed: (uncertain) => (uncertain ? undefined : drop()),
      cancel: drop,
    };
  }

  /** Why the rules refuse `identity` now, or undefined. */
  problems(identity: ChargeIdentity, rules: { allowDuplicate: boolean; maxDailyCents: number }): string | undefined {
    const recent = this.recent(identity.orgId);
    const duplicates = recent.filter((c) => sameCharge(c, identity));
    if (duplicates.length && !rules.allowDuplicate) {
      return `${describeCharges(duplicates)} ${duplicates.length === 1 ? "is" : "are"} the same charge (tool, organization, amount and description) within 24 hours; pass allow_duplicate: true only if the user confirms they want it charged again.`;
    }
    const day = recent.reduce((sum, c) => sum + c.cents, 0);
    if (day + identity.cents > rules.maxDailyCents) {
      return `org ${identity.orgId} has ${usdCents(day)} charged or possibly charged in the last 24 hours; ${usdCents(identity.cents)} more would exceed the daily limit of ${usdCents(rules.maxDailyCents)} per organization (BILLING_MCP_MAX_DAILY_CHARGE).`;
    }
    return undefined;
  }
}

const usdCents = (cents: number) => `${(cents / 100).toFixed(2)} USD`;

/** "viam_charge_organization of 250.00 USD to org-x at T (invoice inv_1)", joined with "; ". */
export function describeCharges(charges: readonly LedgerCharge[]): string {
  return charges
    .map((c) => {
      const what = `${c.tool} of ${usdCents(c.cents)} to ${c.orgId}${c.description ? ` ("${c.description}")` : ""} at ${c.at.toISOString().replace(/\.\d{3}Z$/, "Z")}`;
      return c.state === "executed" ? `${what} (executed, invoice ${c.invoiceId ?? "unknown"})` : `${what} (sent, no answer: it may or may not have happened)`;
    })
    .join("; ");
}

function readTail(path: string): string {
  let fd: number;
  try {
    // Only a regular file: opening a FIFO to read would block start-up until a writer came.
    if (!statSync(path).isFile()) return "";
    fd = openSync(path, "r");
  } catch {
    return "";
  }
  try {
    const size = statSync(path).size;
    const length = Math.min(size, MAX_TAIL_BYTES);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    return buffer.toString("utf8");
  } finally {
    closeSync(fd);
  }
}
