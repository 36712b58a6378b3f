// The audit log on a file system that fills up: a small tmpfs mounted by the test (root
// only), the server in-process from source, the Viam sandbox as the upstream. The log must hold
// whole lines, refuse before the RPC, and never say "nothing was sent" after it. And an
// audit file that never accepts a write (a FIFO with no reader) fails the call in time: a
// spawned server, as a stalled file system blocks a thread of the process that writes.
import { execFileSync, spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { appendFileSync, closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, liveEnv, startServer, startViamSandbox, textOf } from "./harness.js";
import type { ViamSandbox } from "./harness.js";
import { startInProcess } from "./in-process.js";

const PAGE = 4096;

/** Mounts a fresh 256 KiB tmpfs; undefined (with why) when that is not possible here. */
function mountTmpfs(): { dir: string } | { skip: string } {
  if (process.getuid?.() !== 0) return { skip: "not running as root" };
  const dir = mkdtempSync(join(tmpdir(), "billing-mcp-fullfs-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=256k", "tmpfs", dir], { stdio: "pipe" });
    return { dir };
  } catch (err) {
    return { skip: `mount -t tmpfs failed (${err instanceof Error ? err.message.split("\n")[0] : String(err)})` };
  }
}

/** Takes every free page of the file system holding `dir`. */
function fillUp(dir: string, name: string): void {
  const fd = openSync(join(dir, name), "a");
  try {
    for (;;) writeSync(fd, Buffer.alloc(PAGE, 0x61));
  } catch (err) {
    if ((err as { code?: string }).code !== "ENOSPC") throw err;
  } finally {
    closeSync(fd);
  }
}

/** Every line of the log parsed as JSON: throws on a fragment. */
const parsedLines = (path: string) =>
  readFileSync(path, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { outcome: string });

const structured = (result: CallToolResult) => result.structuredContent as { status: string; confirmation_token?: string };
const CHARGE = { org_id_to_charge: "org-acme", subtotal: 100, tax: 8.25, description: "Setup fee" };

const mounted = mountTmpfs();
if ("skip" in mounted) console.log(`audit-log.test.ts: full file system tests skipped: ${mounted.skip} (they need root to mount a tmpfs)`);

describe.skipIf("skip" in mounted)("a full file system", () => {
  let sandbox: ViamSandbox;
  const root = "dir" in mounted ? mounted.dir : "";
  beforeAll(async () => {
    sandbox = await startViamSandbox();
  });
  afterAll(async () => {
    await sandbox?.close();
    if (root) execFileSync("umount", ["-l", root]);
  });
  const charges = () => sandbox.calls.get("ChargeOrganization") ?? 0;

  it("an attempt line written only in part refuses before the RPC, and the log keeps whole lines", async () => {
    const dir = mkdtempSync(join(root, "short-"));
    const audit = join(dir, "audit.jsonl");
    const server = await startInProcess(liveEnv(sandbox, { BILLING_MCP_AUDIT_LOG: audit }), ["--allow-writes"]);
    try {
      const preview = await call(server.client, "viam_charge_organization", CHARGE);
      expect(structured(preview).status).toBe("preview");
      // Leave 40 bytes in the log's last page and no free page: the attempt line (~400 bytes) fits only in part.
      const size = statSync(audit).size;
      const pad = PAGE - (size % PAGE) - 40 - 1;
      appendFileSync(audit, JSON.stringify({ padding: "p".repeat(Math.max(0, pad - 14)) }) + "\n");
      expect(PAGE - (statSync(audit).size % PAGE)).toBe(40);
      fillUp(dir, "filler");

      const before = charges();
      const done = await call(server.client, "viam_charge_organization", { ...CHARGE, confirm: true, confirmation_token: structured(preview).confirmation_token });
      expect(done.isError).toBe(true);
      expect(textOf(done)).toMatch(/^Refused: the audit log .* cannot be written \(ENOSPC.*\).*Nothing was sent to Viam/);
      expect(charges()).toBe(before);
      const lines = parsedLines(audit);
      expect(lines.map((l) => l.outcome)).toEqual(["previewed", undefined]);
      expect(statSync(audit).size % PAGE).toBe(PAGE - 40);
    } finally {
      await server.close();
      rmSync(join(dir, "filler"), { force: true });
    }
  });

  it("a log that fills up while the RPC is out: the answer and stderr say it was sent, never that nothing was", async () => {
    const dir = mkdtempSync(join(root, "after-"));
    const audit = join(dir, "audit.jsonl");
    const server = await startInProcess(liveEnv(sandbox, { BILLING_MCP_AUDIT_LOG: audit }), ["--allow-writes"]);
    try {
      const preview = await call(server.client, "viam_charge_organization", CHARGE);
      const before = charges();
      sandbox.faults.delayMs = 1500;
      const pending = call(server.client, "viam_charge_organization", { ...CHARGE, confirm: true, confirmation_token: structured(preview).confirmation_token });
      // Once the attempt line is in, leave the log no room for the executed line.
      await expect.poll(() => parsedLines(audit).map((l) => l.outcome), { timeout: 5000, interval: 20 }).toEqual(["previewed", "attempt"]);
      const size = statSync(audit).size;
      appendFileSync(audit, JSON.stringify({ padding: "p".repeat(PAGE - (size % PAGE) - 15) }) + "\n");
      expect(statSync(audit).size % PAGE).toBe(0);
      fillUp(dir, "filler");
      const done = await pending;
      sandbox.faults.reset();

      expect(charges()).toBe(before + 1);
      expect(done.isError).toBeFalsy();
      expect(structured(done).status).toBe("executed");
      const said = `${textOf(done)}\n${server.stderr()}`;
      expect(textOf(done)).toMatch(/WAS sent to Viam \(and Viam accepted it\), but its "executed" line could not be written to the audit log/);
      expect(server.stderr()).toMatch(/audit log: The request WAS sent to Viam/);
      expect(said).not.toMatch(/Nothing was sent/i);
      expect(parsedLines(audit).map((l) => l.outcome)).toEqual(["previewed", "attempt", undefined]);
    } finally {
      sandbox.faults.reset();
      await server.close();
      rmSync(join(dir, "filler"), { force: true });
    }
  });
});

describe("an audit file that never accepts a write (a FIFO with no reader)", () => {
  let sandbox: ViamSandbox;
  beforeAll(async () => {
    sandbox = await startViamSandbox();
  });
  afterAll(async () => {
    await sandbox?.close();
  });

  it("fails the write within its deadline, keeps read tools answering, refuses later writes at once, and resumes once the line is taken", async () => {
    const fifo = join(mkdtempSync(join(tmpdir(), "billing-mcp-fifo-")), "audit.jsonl");
    execFileSync("mkfifo", [fifo]);
    const server = await startServer(liveEnv(sandbox, { BILLING_MCP_AUDIT_LOG: fifo }), ["--allow-writes"]);
    let reader: ChildProcess | undefined;
    try {
      const before = sandbox.calls.get("ChargeOrganization") ?? 0;
      const timed = async (args: Record<string, unknown>, tool = "viam_charge_organization") => {
        const started = performance.now();
        const result = await call(server.client, tool, args);
        return { result, ms: performance.now() - started };
      };
      // The preview's line cannot be written: the call fails once its 1 s timeout is up.
      const first = await timed({ ...CHARGE, timeout: 1 });
      expect(first.result.isError).toBe(true);
      expect(textOf(first.result)).toMatch(/^Refused: the audit log .*audit\.jsonl cannot be written \(it accepted nothing within 1 s \(a FIFO with no reader, or a stalled disk\?\)\).*Nothing was sent to Viam/);
      expect(textOf(first.result)).not.toMatch(/confirmation_token/);
      expect(first.ms).toBeGreaterThanOrEqual(900);

      // Read tools do not wait for the log.
      const read = await call(server.client, "viam_get_invoices_summary", { org_id: "org-acme" });
      expect(read.isError, textOf(read)).toBeFalsy();

      // A later write (default 30 s timeout) is refused at once, not queued behind the stalled line.
      const later = await timed({ ...CHARGE, description: "Later" });
      expect(later.result.isError).toBe(true);
      expect(textOf(later.result)).toMatch(/^Refused: the audit log .* cannot be written \(it is stalled: an earlier "previewed" line has been pending since \S+, a FIFO with no reader or a stalled disk\).*Nothing was sent to Viam\. .*restart the server/);
      expect(later.ms).toBeLessThan(10_000);
      expect(sandbox.calls.get("ChargeOrganization") ?? 0).toBe(before);

      // A reader appears: the pending line goes through, and writes work again.
      let received = "";
      // Opened read-write, as a log collector would keep it: no end of file between writers.
      reader = spawn("sh", ["-c", 'exec cat 0<>"$1"', "sh", fifo], { stdio: ["ignore", "pipe", "ignore"] });
      reader.stdout?.on("data", (d: Buffer) => (received += d.toString()));
      await expect.poll(() => received, { timeout: 10_000 }).toMatch(/"outcome":"previewed"/);
      const preview = await call(server.client, "viam_charge_organization", { ...CHARGE, description: "After" });
      expect(preview.isError, textOf(preview)).toBeFalsy();
      const done = await call(server.client, "viam_charge_organization", { ...CHARGE, description: "After", confirm: true, confirmation_token: structured(preview).confirmation_token });
      expect(structured(done).status, textOf(done)).toBe("executed");
      expect(sandbox.calls.get("ChargeOrganization") ?? 0).toBe(before + 1);
      await expect.poll(() => received.split("\n").filter(Boolean).map((l) => (JSON.parse(l) as { outcome: string }).outcome), { timeout: 10_000 }).toEqual(["previewed", "previewed", "attempt", "executed"]);
    } finally {
      await server.close();
      reader?.kill();
    }
  });
});
