// The audit trail of write tools: one JSON line per step of every write attempt, appended
// and fsynced before the step it records is allowed to go on. Secrets are redacted, and
// confirmation tokens never reach it (callers pass only a fingerprint).
import { mkdir, open } from "node:fs/promises";
import { dirname } from "node:path";
import type { Clock } from "../core/clock.js";
import { redact, ToolError } from "../core/errors.js";

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
  /** Over HTTP with OAuth: the token's subject and client id (who did it). */
  subject?: string;
  client_id?: string;
}

/** Lines recorded after the RPC was sent: their failure must not claim that nothing was sent. */
const AFTER_RPC: ReadonlySet<AuditOutcome> = new Set(["executed", "failed"]);

// A caller controls what it passes (a refused call's arguments are not validated), so no
// line may grow with it. Valid arguments (ids ≤ 128, texts ≤ 500 characters) fit unchanged.
export const MAX_AUDIT_STRING = 600;
export const MAX_AUDIT_LINE_BYTES = 4096;
const MAX_ITEMS = 20;
const MAX_DEPTH = 3;

/** `value` with long strings cut (noting their length) and large or deep structures shortened. */
function bounded(value: unknown, depth = 0): unknown {
  if (typeof value === "string") {
    return value.length <= MAX_AUDIT_STRING ? value : `${value.slice(0, MAX_AUDIT_STRING)}… [${value.length} characters, cut]`;
  }
  if (typeof value !== "object" || value === null) return value;
  if (depth >= MAX_DEPTH) return "[nested value, not logged]";
  if (Array.isArray(value)) {
    const items = value.slice(0, MAX_ITEMS).map((v) => bounded(v, depth + 1));
    return value.length > MAX_ITEMS ? [...items, `[${value.length - MAX_ITEMS} more items, not logged]`] : items;
  }
  const entries = Object.entries(value);
  const kept = Object.fromEntries(entries.slice(0, MAX_ITEMS).map(([k, v]) => [bounded(k, MAX_DEPTH) as string, bounded(v, depth + 1)]));
  if (entries.length > MAX_ITEMS) kept["[more]"] = `${entries.length - MAX_ITEMS} more keys, not logged`;
  return kept;
}

export class AuditLog {
  /** Appends of this process, one at a time: a short write is undone by truncating, which must not cut another line. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly path: string,
    /** "sandbox" or the Viam host, so sandbox rehearsals are told apart from real charges. */
    private readonly target: string,
    private readonly clock: Clock,
  ) {}

  /** The line `entry` is recorded as: redacted, bounded, newline-terminated. */
  line(entry: AuditEntry): string {
    const record = (e: AuditEntry) => redact(JSON.stringify({ time: this.clock().toISOString(), pid: process.pid, target: this.target, ...(bounded(e) as AuditEntry) }));
    const fits = (text: string) => Buffer.byteLength(text) <= MAX_AUDIT_LINE_BYTES;
    let text = record(entry);
    if (!fits(text)) {
      // Still too large once bounded (many long fields): name the arguments' size instead.
      const notLogged = { "[not logged]": `arguments of ${Buffer.byteLength(JSON.stringify(entry.arguments ?? {}))} bytes` };
      text = record({ ...entry, arguments: notLogged });
      if (!fits(text)) text = record({ tool: entry.tool, outcome: entry.outcome, arguments: notLogged, reason: "[entry too large, not logged]" });
    }
    return text + "\n";
  }

  /** Appends and fsyncs one whole line; a ToolError when the log cannot be written (it then holds whole lines only). */
  append(entry: AuditEntry): Promise<void> {
    const run = this.queue.then(() => this.write(entry));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async write(entry: AuditEntry): Promise<void> {
    const line = Buffer.from(this.line(entry));
    try {
      await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
      const file = await open(this.path, "a", 0o600);
      try {
        const before = (await file.stat()).size;
        try {
          // One write per line: O_APPEND keeps concurrent lines whole.
          const { bytesWritten } = await file.write(line);
          // A nearly full disk stores part of the line and reports no error.
          if (bytesWritten !== line.length) throw Object.assign(new Error("short write"), { code: `ENOSPC: ${bytesWritten} of ${line.length} bytes written` });
          await file.sync();
        } catch (err) {
          // Drop the fragment, so the next line does not glue onto it and the log stays parseable.
          await file.truncate(before).catch(() => undefined);
          await file.sync().catch(() => undefined);
          throw err;
        }
      } finally {
        await file.close();
      }
    } catch (err) {
      const code = (err as { code?: string }).code ?? (err instanceof Error ? err.message : String(err));
      if (AFTER_RPC.has(entry.outcome)) {
        throw new ToolError(
          `The request WAS sent to Viam (${entry.outcome === "executed" ? "and Viam accepted it" : "it may have taken effect"}), but its "${entry.outcome}" line could not be written to the audit log ${this.path} (${code}). Record it by hand, and fix the log (BILLING_MCP_AUDIT_LOG) before the next billing change.`,
        );
      }
      throw new ToolError(
        `Refused: the audit log ${this.path} cannot be written (${code}), and no billing change is made without it. Nothing was sent to Viam. Fix the path or its permissions (BILLING_MCP_AUDIT_LOG), then try again.`,
      );
    }
  }
}
