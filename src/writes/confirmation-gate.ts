// The one path every write tool goes through. A call first returns a preview (what would
// happen, with the figures) and a confirmation token; the RPC is sent only on a second call
// with confirm: true and that token, which is bound to this process, this tool and exactly
// these arguments, works once and expires. When the client supports elicitation the human
// is asked directly instead, inside the same call. Every step is audited before it goes on.
import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { Code } from "@connectrpc/connect";
import type { Server } from "@modelcontextprotocol/server";
import { z } from "zod";
import type { AuditEntry, AuditLog } from "./audit-log.js";
import { canonicalJson } from "../core/canonical-json.js";
import { describeCharges, sameCharge } from "./charge-ledger.js";
import type { ChargeIdentity, ChargeLedger } from "./charge-ledger.js";
import type { Clock } from "../core/clock.js";

import { ToolError } from "../core/errors.js";
import { boundedText } from "../mcp/fields.js";
import type { Logger } from "../core/logger.js";

export { canonicalJson };
import { usd } from "../billing/render.js";
import type { ToolContext, ToolResult, WritePreview, WriteToolDefinition } from "../mcp/tool-definition.js";

/** Input fields the gate adds to every write tool. */
export const confirmationFields = {
  confirm: z
    .boolean()
    .optional()
    .describe("True once the user agreed to the preview."),
  confirmation_token: boundedText(200)
    .optional()
    .describe("From the preview of these exact arguments."),
};
/** For the tools that charge (declared in their input): the gate reads it and keeps it out of the previewed arguments. */
export const allowDuplicateField = z.boolean().optional().describe("True to repeat a charge made or tried in the last 24 h (the preview warns).");
const GATE_FIELDS = ["confirm", "confirmation_token", "allow_duplicate", "timeout"] as const;

const detailValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);

/** What every write tool answers, around what its `run` returns once performed. */
export function writeOutputShape<Out extends z.ZodRawShape>(result: Out) {
  return {
    status: z.enum(["preview", "executed", "declined"]).describe("preview: nothing done yet; executed: done; declined: the user said no, nothing done."),
    summary: z.string().describe("What the call does (or would do), with the figures."),
    details: z.record(z.string(), detailValue).describe("The figures as sent to Viam (money in USD), and whether an email goes out."),
    confirmation_token: z.string().optional().describe("With status preview: pass it back with confirm: true once the user agrees."),
    expires_at: z.string().optional().describe("ISO time after which confirmation_token no longer works."),
    checks: z.array(z.string()).optional().describe("With status preview: what was read from Viam for it (who is charged and how they pay, the current state)."),
    warnings: z.array(z.string()).optional().describe("With status preview: a possible double charge, or earlier attempts that got no answer; show them to the user."),
    result: z.object(result).optional().describe("With status executed: what Viam returned."),
  };
}
type WriteOutput = {
  status: "preview" | "executed" | "declined";
  summary: string;
  details: WritePreview["details"];
  confirmation_token?: string;
  expires_at?: string;
  checks?: string[];
  warnings?: string[];
  result?: Record<string, unknown>;
};

/** What the audit log may show of a token: enough to tie a preview to its confirmation, useless to replay. */
export function tokenFingerprint(token: string): string {
  return "sha256:" + createHash("sha256").update(token).digest("hex").slice(0, 12);
}

interface Issued {
  tool: string;
  args: string;
  expiresAt: number;
  used: boolean;
}

// Spent and expired tokens are kept one more TTL so a late replay gets a precise reason.
// At most this many are kept (a client flooding previews evicts the oldest).
export const MAX_PENDING_PREVIEWS = 10_000;

/**
 * Tokens live only in this process's memory: another process (or a restart) knows none of them.
 * Each carries a MAC under a key of this process, so one that is no longer kept (expired and
 * pruned, or evicted) is still told apart from one this process never issued.
 */
export class ConfirmationTokens {
  private readonly issued = new Map<string, Issued>();
  private readonly key = randomBytes(32);

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number,
    private readonly maxKept = MAX_PENDING_PREVIEWS,
  ) {}

  private mac(nonce: string): string {
    return createHmac("sha256", this.key).update(nonce).digest("base64url").slice(0, 11);
  }

  /** Whether `token` is one this process issued (kept or not). */
  private ours(token: string): boolean {
    const nonce = token.slice(0, -11);
    const expected = Buffer.from(this.mac(nonce));
    const given = Buffer.from(token.slice(-11));
    return nonce.length > 0 && given.length === expected.length && timingSafeEqual(given, expected);
  }

  issue(tool: string, args: string): { token: string; expiresAt: number } {
    this.prune();
    const nonce = randomBytes(18).toString("base64url");
    const token = nonce + this.mac(nonce);
    const expiresAt = this.now() + this.ttlMs;
    this.issued.set(token, { tool, args, expiresAt, used: false });
    return { token, expiresAt };
  }

  revoke(token: string): void {
    this.issued.delete(token);
  }

  /** Synchronous on purpose: check and spend happen with no await between them, so concurrent duplicates cannot both pass. */
  claim(token: string, tool: string, args: string): { ok: true } | { ok: false; reason: string } {
    const entry = this.issued.get(token);
    if (!entry) {
      return this.ours(token)
        ? { ok: false, reason: `this confirmation_token expired or was evicted (the server keeps at most ${this.maxKept} pending previews).` }
        : { ok: false, reason: "this confirmation_token was not issued by this server process (tokens do not survive a restart)." };
    }
    if (entry.used) return { ok: false, reason: "this confirmation_token was already used; each token works once." };
    if (this.now() > entry.expiresAt) return { ok: false, reason: `this confirmation_token expired at ${new Date(entry.expiresAt).toISOString()}.` };
    if (entry.tool !== tool) return { ok: false, reason: `this confirmation_token was issued for ${entry.tool}, not ${tool}.` };
    if (entry.args !== args) {
      return { ok: false, reason: "this confirmation_token was issued for different arguments; a token confirms exactly the call that was previewed." };
    }
    entry.used = true;
    return { ok: true };
  }

  private prune(): void {
    const cutoff = this.now() - this.ttlMs;
    for (const [token, entry] of this.issued) if (entry.expiresAt < cutoff) this.issued.delete(token);
    // Map order is insertion order: drop the oldest when a client floods previews.
    for (const token of this.issued.keys()) {
      if (this.issued.size < this.maxKept) break;
      this.issued.delete(token);
    }
  }
}

export type HumanAnswer = "accepted" | "declined" | "cancelled";
/** Asks the human, through the client, whether to go ahead. */
export type AskHuman = (message: string, timeoutMs: number) => Promise<HumanAnswer>;

/** An AskHuman over MCP elicitation, or undefined when the client cannot show a form. */
export function elicitationAsker(server: Server, request: { requestId: string | number; signal: AbortSignal }): AskHuman | undefined {
  if (!server.getClientCapabilities()?.elicitation?.form) return undefined;
  return async (message, timeoutMs) => {
    const answer = await server.elicitInput(
      {
        mode: "form",
        message,
        requestedSchema: {
          type: "object",
          properties: { confirm: { type: "boolean", title: "Go ahead", description: "Check to perform exactly what is described.", default: false } },
          required: ["confirm"],
        },
      },
      { relatedRequestId: request.requestId, signal: request.signal, timeout: timeoutMs },
    );
    if (answer.action === "accept") return answer.content?.confirm === true ? "accepted" : "declined";
    return answer.action === "decline" ? "declined" : "cancelled";
  };
}

// Failures after which the RPC may still have taken effect upstream.
const UNCERTAIN = new Set<Code | undefined>([undefined, Code.DeadlineExceeded, Code.Canceled, Code.Unavailable, Code.Unknown, Code.Internal]);

export interface GateOptions {
  audit: AuditLog;
  clock: Clock;
  /** Charges made or attempted recently (the duplicate rule and the daily cap). */
  ledger: ChargeLedger;
  maxChargeUsd: number;
  maxDailyChargeUsd: number;
  ttlMs: number;
  logger: Logger;
}

export class ConfirmationGate {
  private readonly tokens: ConfirmationTokens;

  constructor(private readonly options: GateOptions) {
    this.tokens = new ConfirmationTokens(options.ttlMs, () => options.clock().getTime());
  }

  /** Runs one call of a write tool; a refusal is a ToolError, audited first. `ask` is set when the client can be asked directly. */
  async handle(tool: WriteToolDefinition, args: Record<string, unknown>, ctx: ToolContext, ask?: AskHuman): Promise<ToolResult<WriteOutput>> {
    const { confirm, confirmation_token: token } = args;
    const bound = Object.fromEntries(Object.entries(args).filter(([key]) => !(GATE_FIELDS as readonly string[]).includes(key)));
    const entry = { tool: tool.name, arguments: bound };
    // Each line is bounded by the call's timeout, as each of its RPCs is: a stalled log fails the call.
    const audit = (line: AuditEntry) => this.options.audit.append(line, ctx.timeoutMs);
    const refuse = async (reason: string, extra: Partial<AuditEntry> = {}): Promise<never> => {
      await audit({ ...entry, ...extra, outcome: "refused", reason }).catch((err: unknown) => this.warn(err));
      throw new ToolError(`Refused: ${reason} Nothing was sent to Viam.`);
    };

    const preview = tool.preview(bound as never);
    if (preview.chargeUsd !== undefined && preview.chargeUsd > this.options.maxChargeUsd) {
      await refuse(
        `the total ${usd(preview.chargeUsd)} exceeds the limit of ${usd(this.options.maxChargeUsd)} per charge (BILLING_MCP_MAX_CHARGE). Split it, or have the operator raise the limit.`,
      );
    }

    const identity = chargeIdentity(tool.name, preview);
    const rules = { allowDuplicate: args.allow_duplicate === true, maxDailyCents: Math.round(this.options.maxDailyChargeUsd * 100) };
    // The daily cap holds at preview already; a duplicate only needs allow_duplicate to go ahead.
    const capProblem = identity && this.options.ledger.problems(identity, { ...rules, allowDuplicate: true });
    if (capProblem) await refuse(capProblem);
    const warnings = identity ? this.warnings(identity) : [];
    // Only before asking: a confirmation acts on what the person saw.
    const asking = ask !== undefined || confirm !== true;
    let checks: string[] = [];
    if (asking && tool.lookUp) {
      try {
        checks = await tool.lookUp(bound as never, ctx);
      } catch (err) {
        if (!(err instanceof ToolError)) throw err;
        await refuse(`${err.message.replace(/\.?$/, ".")} (looked up before any preview).`);
      }
    }

    if (ask) {
      const duplicate = identity && this.options.ledger.problems(identity, rules);
      if (duplicate) await refuse(duplicate);
      await audit({ ...entry, outcome: "previewed", via: "elicitation" });
      let answer: HumanAnswer;
      try {
        answer = await ask(elicitationMessage(tool, preview, ctx.viam.isSandbox, [...checks, ...warnings]), this.options.ttlMs);
      } catch (err) {
        return refuse(`the user could not be asked to confirm (${err instanceof Error ? err.message : String(err)}).`, { via: "elicitation" });
      }
      if (answer !== "accepted") {
        await audit({ ...entry, outcome: "declined", via: "elicitation", reason: `${answer} by the user` });
        return {
          structured: { status: "declined", summary: preview.summary, details: preview.details },
          text: `The user ${answer} it: nothing was done. Would have: ${preview.summary}`,
        };
      }
      return this.execute(tool, bound, preview, ctx, { via: "elicitation" }, identity, rules);
    }

    if (confirm !== true) {
      const issued = this.tokens.issue(tool.name, canonicalJson(bound));
      const expires_at = new Date(issued.expiresAt).toISOString();
      try {
        await audit({ ...entry, outcome: "previewed", via: "token", confirmation: tokenFingerprint(issued.token) });
      } catch (err) {
        this.tokens.revoke(issued.token);
        throw err;
      }
      const duplicate = identity !== undefined && this.options.ledger.problems(identity, { ...rules, allowDuplicate: false }) !== undefined;
      return {
        structured: { status: "preview", summary: preview.summary, details: preview.details, confirmation_token: issued.token, expires_at, checks, warnings },
        text: [
          `PREVIEW, nothing has been done. Would: ${preview.summary}`,
          ...checks,
          ...warnings,
          `To go ahead, show this to the user; only if they agree, call ${tool.name} again with exactly the same arguments plus confirm: true${duplicate ? ", allow_duplicate: true" : ""} and confirmation_token: "${issued.token}" (works once, until ${expires_at}).`,
        ].join("\n"),
      };
    }

    if (typeof token !== "string") {
      return refuse(`confirm: true needs the confirmation_token from a preview: call ${tool.name} without confirm first, show the preview to the user, then confirm.`);
    }
    const claim = this.tokens.claim(token, tool.name, canonicalJson(bound));
    const confirmation = tokenFingerprint(token);
    if (!claim.ok) return refuse(`${claim.reason} Call ${tool.name} without confirm to get a new preview.`, { via: "token", confirmation });
    return this.execute(tool, bound, preview, ctx, { via: "token", confirmation }, identity, rules);
  }

  /** What a person must know before this charge: the same charge, or unanswered attempts to the org, in the last 24 hours. */
  private warnings(identity: ChargeIdentity): string[] {
    const recent = this.options.ledger.recent(identity.orgId);
    const duplicates = recent.filter((c) => sameCharge(c, identity));
    const unresolved = recent.filter((c) => c.state === "unresolved" && !duplicates.includes(c));
    return [
      ...(duplicates.length ? [`WARNING, POSSIBLE DOUBLE CHARGE: ${describeCharges(duplicates)}. Confirming needs allow_duplicate: true as well, and only if the user wants it charged again.`] : []),
      ...(unresolved.length ? [`WARNING: an earlier attempt got no answer: ${describeCharges(unresolved)}. Check with viam_get_invoices_summary for org ${identity.orgId} first.`] : []),
    ];
  }

  private async execute(
    tool: WriteToolDefinition,
    bound: Record<string, unknown>,
    preview: WritePreview,
    ctx: ToolContext,
    how: Pick<AuditEntry, "via" | "confirmation">,
    identity: ChargeIdentity | undefined,
    rules: { allowDuplicate: boolean; maxDailyCents: number },
  ): Promise<ToolResult<WriteOutput>> {
    const entry = { tool: tool.name, arguments: bound, ...how };
    const audit = (line: AuditEntry) => this.options.audit.append(line, ctx.timeoutMs);
    // Checked and counted with no await in between: concurrent confirmations cannot both pass.
    const reservation = identity && this.options.ledger.reserve(identity, rules);
    if (reservation && "refused" in reservation) {
      await audit({ ...entry, outcome: "refused", reason: reservation.refused }).catch((err: unknown) => this.warn(err));
      throw new ToolError(`Refused: ${reservation.refused} Nothing was sent to Viam.`);
    }
    try {
      await audit({ ...entry, outcome: "attempt" });
    } catch (err) {
      reservation?.cancel();
      throw err;
    }
    let done: ToolResult<Record<string, unknown>>;
    try {
      // Once sent, a write is seen through even if the client cancels, so its outcome is known and audited.
      done = await tool.run(bound as never, { ...ctx, signal: new AbortController().signal });
    } catch (err) {
      const code = err instanceof ToolError ? err.code : undefined;
      const uncertain = UNCERTAIN.has(code);
      reservation?.failed(uncertain);
      const error = err instanceof Error ? err.message : String(err);
      const auditProblem = await audit({ ...entry, outcome: "failed", error, uncertain }).then(() => "", (auditErr: unknown) => ` ${this.warn(auditErr)}`);
      if (!uncertain) {
        if (!auditProblem) throw err;
        throw new ToolError(`${error}${auditProblem}`, code);
      }
      throw new ToolError(`${error} It may still have taken effect: check (e.g. viam_get_invoices_summary) before trying again.${auditProblem}`, code);
    }
    const invoiceId = typeof done.structured.invoice_id === "string" ? done.structured.invoice_id : undefined;
    reservation?.executed(invoiceId);
    const auditProblem = await audit({ ...entry, outcome: "executed", invoice_id: invoiceId }).then(() => "", (err: unknown) => `\n${this.warn(err)}`);
    return {
      structured: { status: "executed", summary: preview.summary, details: preview.details, result: done.structured },
      text: `Done: ${done.text}${auditProblem}`,
    };
  }

  // After the RPC the result stands even if its audit line cannot be written: say so on
  // stderr (and, after the RPC, in the answer). Returns the message.
  private warn(err: unknown): string {
    const message = err instanceof Error ? err.message : String(err);
    this.options.logger.log("error", `audit log: ${message}`);
    return message;
  }
}

/** The charge a write call makes, as the duplicate rule and the daily cap see it; undefined when it charges nothing. */
export function chargeIdentity(tool: string, preview: WritePreview): ChargeIdentity | undefined {
  if (preview.chargeUsd === undefined || preview.chargeTo === undefined) return undefined;
  const description = preview.details.description;
  return { tool, orgId: preview.chargeTo, cents: Math.round(preview.chargeUsd * 100), description: typeof description === "string" ? description : null };
}

function elicitationMessage(tool: WriteToolDefinition, preview: WritePreview, sandbox: boolean, warnings: readonly string[]): string {
  const lines = [`${tool.title}${sandbox ? " (SANDBOX: demo data, not real billing)" : ""}:`, preview.summary, ...warnings, ""];
  for (const [key, value] of Object.entries(preview.details)) lines.push(`${key}: ${value ?? "(none)"}`);
  lines.push("", "Nothing happens unless you confirm.");
  return lines.join("\n");
}
