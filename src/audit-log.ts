// The audit trail of write tools: one JSON line per step of every write attempt, appended
// and fsynced before the step it records is allowed to go on. Secrets are redacted, and
// confirmation tokens never reach it (callers pass only a fingerprint).
import { mkdir, open } from "node:fs/promises";
import { dirname } from "node:path";
import type { Clock } from "./clock.js";
import { redact, ToolError } from "./errors.js";

export type AuditOutcome =
  | "previewed" // a preview was shown (and, without elicitation, a token issued)
  | "refused" // refused with a reason; nothing was sent to Viam
  | "declined" // the human declined or cancelled the elicitation prompt
  | "attempt" // about to send the RPC
  | "executed" // Viam accepted it
  | "failed"; // Viam (or the network) failed it; see `uncertain`

export interface AuditEntry {
  tool: string;
  /** The bound arguments (without confirm, confirmation_token, timeout). */
  arguments: Record<string, unknown>;
  outcome: AuditOutcome;
  reason?: string;
  /** How the human confirmed: a token from a preview, or an elicitation prompt. */
  via?: "token" | "elicitation";
  /** A short hash of the confirmation token, to tie a preview to its confirmation. */
  confirmation?: string;
  invoice_id?: string;
  error?: string;
  /** True when the RPC may have taken effect despite the failure (e.g. a deadline). */
  uncertain?: boolean;
}

export class AuditLog {
  constructor(
    readonly path: string,
    /** "sandbox" or the Viam host, so sandbox rehearsals are told apart from real charges. */
    private readonly target: string,
    private readonly clock: Clock,
  ) {}

  /** Appends and fsyncs one line; a ToolError when the log cannot be written. */
  async append(entry: AuditEntry): Promise<void> {
    const line = redact(JSON.stringify({ time: this.clock().toISOString(), pid: process.pid, target: this.target, ...entry })) + "\n";
    try {
      await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
      const file = await open(this.path, "a", 0o600);
      try {
        // One write per line: O_APPEND keeps concurrent lines whole.
        await file.write(line);
        await file.sync();
      } finally {
        await file.close();
      }
    } catch (err) {
      const code = (err as { code?: string }).code ?? (err instanceof Error ? err.message : String(err));
      throw new ToolError(
        `Refused: the audit log ${this.path} cannot be written (${code}), and no billing change is made without it. Nothing was sent to Viam. Fix the path or its permissions (BILLING_MCP_AUDIT_LOG), then try again.`,
      );
    }
  }
}
