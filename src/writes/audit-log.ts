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

/** How long an append may take when the caller names no deadline (the default call timeout). */
export const DEFAULT_APPEND_TIMEOUT_MS = 30_000;

/** An append that outlived its deadline and is still pending in the file system. */
interface Stall {
  outcome: AuditOutcome;
  since: Date;
}

export class AuditLog {
  /** Appends of this process, one at a time: a short write is undone by truncating, which must not cut another line. */
  private queue: Promise<unknown> = Promise.resolve();
  /**
   * Set while an append that missed its deadline is still pending (a FIFO with no reader, a
   * stalled disk): every append is refused at once until it completes, rather than queue
   * behind it forever. Cleared when it completes; a restart starts clean.
   */
  private stall: Stall | undefined;

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

  /**
   * Appends and fsyncs one whole line within `timeoutMs`; a ToolError when the log cannot be
   * written in time (it then holds whole lines only). A line still pending at its deadline
   * stalls the log: later appends are refused at once until it completes.
   */
  append(entry: AuditEntry, timeoutMs = DEFAULT_APPEND_TIMEOUT_MS): Promise<void> {
    if (this.stall) {
      const { outcome, since } = this.stall;
      return Promise.reject(this.failure(entry, `it is stalled: an earlier "${outcome}" line has been pending since ${since.toISOString()}, a FIFO with no reader or a stalled disk`, true));
    }
    let late = false;
    // Skipped if its caller gave up while it waited its turn: a refused call leaves no line.
    const run = this.queue.then(() => (late ? false : this.write(entry).then(() => true)));
    this.queue = run.catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        late = true;
        reject(this.failure(entry, `it accepted nothing within ${timeoutMs / 1000} s (a FIFO with no reader, or a stalled disk?)`, true));
        this.stalled(entry, run);
      }, timeoutMs);
      timer.unref();
    });
    return Promise.race([run, deadline]).then(
      () => clearTimeout(timer),
      (err: unknown) => {
        clearTimeout(timer);
        throw err;
      },
    );
  }

  /** `run` missed its deadline: refuse appends until it settles. */
  private stalled(entry: AuditEntry, run: Promise<boolean>): void {
    const stall: Stall = { outcome: entry.outcome, since: this.clock() };
    this.stall ??= stall;
    void run.then(
      (written) => {
        if (this.stall === stall) this.stall = undefined;
        // Its caller was told it failed and sent nothing: resolve the attempt, or the next
        // start-up would count a charge that never went out as possibly made.
        if (written && entry.outcome === "attempt") {
          void this.append({ ...entry, outcome: "failed", error: "its attempt line was written only after its deadline; the call was refused and nothing was sent", uncertain: false }).catch(() => undefined);
        }
      },
      () => {
        if (this.stall === stall) this.stall = undefined;
      },
    );
  }

  /** The error for a line that could not be written: after the RPC, it must say the request WAS sent. */
  private failure(entry: AuditEntry, why: string, stalled = false): ToolError {
    const fix = stalled
      ? "Make BILLING_MCP_AUDIT_LOG a writable regular file and restart the server (writes resume by themselves once the pending line completes)"
      : "Fix the path or its permissions (BILLING_MCP_AUDIT_LOG), then try again";
    if (AFTER_RPC.has(entry.outcome)) {
      return new ToolError(
        `The request WAS sent to Viam (${entry.outcome === "executed" ? "and Viam accepted it" : "it may have taken effect"}), but its "${entry.outcome}" line could not be written to the audit log ${this.path} (${why}). Record it by hand, and fix the log (BILLING_MCP_AUDIT_LOG) before the next billing change.`,
      );
    }
    return new ToolError(`Refused: the audit log ${this.path} cannot be written (${why}), and no billing change is made without it. Nothing was sent to Viam. ${fix}.`);
  }

  private async write(entry: AuditEntry): Promise<void> {
    const line = Buffer.from(this.line(entry));
    try {
      await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
      const file = await open(this.path, "a", 0o600);
      try {
        const info = await file.stat();
        const before = info.size;
        try {
          // One write per line: O_APPEND keeps concurrent lines whole.
          const { bytesWritten } = await file.write(line);
          // A nearly full disk stores part of the line and reports no error.
          if (bytesWritten !== line.length) throw Object.assign(new Error("short write"), { code: `ENOSPC: ${bytesWritten} of ${line.length} bytes written` });
          // A pipe to a log collector has nothing to sync (EINVAL); a file must be synced.
          await file.sync().catch((err: unknown) => {
            if (info.isFile() || (err as { code?: string }).code !== "EINVAL") throw err;
          });
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
      throw this.failure(entry, (err as { code?: string }).code ?? (err instanceof Error ? err.message : String(err)));
    }
  }
}
