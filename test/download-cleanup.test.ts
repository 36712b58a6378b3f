// What a download leaves behind when it goes wrong, through a real MCP client against the
// sandbox as a live Viam: a zero-width character in dest is refused as in ids, a failed
// download removes the folders it made, and a killed server's temporary files go at the next start.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ORG } from "../src/sandbox/data.js";
import { call, liveEnv, startServer, startViamSandbox, textOf } from "./harness.js";
import type { ViamSandbox } from "./harness.js";

let sandbox: ViamSandbox;
beforeAll(async () => {
  sandbox = await startViamSandbox();
});
afterAll(async () => {
  await sandbox?.close();
});

const freshDir = () => realpathSync(mkdtempSync(join(tmpdir(), "billing-mcp-dl-clean-")));
const invoiceId = () => sandbox.state.orgs.get(ORG.acme)!.invoices[0]!.id;
const start = (downloadDir: string) => startServer(liveEnv(sandbox, { VIAM_ORG_ID: ORG.acme, BILLING_MCP_DOWNLOAD_DIR: downloadDir }));

/** The pid of a process that has exited (and is not running again). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  return Number(child.stdout);
}

describe("downloads that go wrong leave nothing", () => {
  it("a zero-width or other invisible character in dest is refused, as in ids", async () => {
    const dir = freshDir();
    const server = await start(dir);
    try {
      for (const [dest, found] of [["inv\u200boice.pdf", "U+200B"], ["a\u2060b/x.pdf", "U+2060"], ["x\ufeffy.pdf", "U+FEFF"], ["x\u00ad.pdf", "U+00AD"]] as const) {
        const result = await call(server.client, "viam_get_invoice_pdf", { invoice_id: invoiceId(), dest });
        expect(result.isError, `${dest}: ${textOf(result)}`).toBe(true);
        expect(textOf(result)).toContain(`dest must not contain invisible characters (zero-width spaces or joiners, BOM, soft hyphen); it has ${found}.`);
      }
      const id = await call(server.client, "viam_get_invoice_pdf", { invoice_id: `${invoiceId()}\u200b` });
      expect(textOf(id)).toMatch(/invoice_id.*must not contain invisible characters \(zero-width spaces or joiners, BOM, soft hyphen\)/);
      expect(readdirSync(dir, { recursive: true })).toEqual([]);
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a failed download removes the folders it created, and keeps those that were there", async () => {
    const parent = freshDir();
    const dir = join(parent, "downloads"); // made by the download itself
    mkdirSync(join(dir, "kept"), { recursive: true });
    rmSync(dir, { recursive: true });
    const server = await start(dir);
    try {
      sandbox.faults.pdfHttpStatus = 502; // fails once the folders and the temporary file are made
      const cut = await call(server.client, "viam_get_invoice_pdf", { invoice_id: invoiceId(), dest: "2025/q3/july.pdf" });
      expect(cut.isError, textOf(cut)).toBe(true);
      expect(textOf(cut)).toMatch(/Nothing was saved at/);
      expect(existsSync(dir)).toBe(false);

      mkdirSync(join(dir, "kept"), { recursive: true });
      const again = await call(server.client, "viam_get_invoice_pdf", { invoice_id: invoiceId(), dest: "kept/new/deeper/x.pdf" });
      expect(again.isError).toBe(true);
      expect(readdirSync(dir, { recursive: true })).toEqual(["kept"]);

      // A refusal after folders were made (dest names an existing folder) removes them too.
      mkdirSync(join(dir, "kept", "taken.pdf"));
      sandbox.faults.reset();
      const taken = await call(server.client, "viam_get_invoice_pdf", { invoice_id: invoiceId(), dest: "made/kept/../../kept/taken.pdf" });
      expect(textOf(taken)).toMatch(/exists and is not a file/);
      expect(readdirSync(dir, { recursive: true }).map(String).sort()).toEqual(["kept", join("kept", "taken.pdf")]);
    } finally {
      sandbox.faults.reset();
      await server.close();
      rmSync(parent, { recursive: true, force: true });
    }
  });

  it("at start-up, the temporary files of stopped servers are removed; a running server's and other files are kept", async () => {
    const dir = freshDir();
    const dead = deadPid();
    mkdirSync(join(dir, "2025", "q3"), { recursive: true });
    const stale = [`.october.pdf.${dead}.0123456789ab.part`, join("2025", "q3", `.july.pdf.${dead}.ba9876543210.part`)];
    const live = `.running.pdf.${process.pid}.0123456789ab.part`;
    const others = ["notes.part", ".draft.part", "invoice.pdf"];
    for (const name of [...stale, live, ...others]) writeFileSync(join(dir, name), "partial");
    const server = await start(dir);
    try {
      await expect.poll(() => stale.filter((f) => existsSync(join(dir, f))), { timeout: 10_000 }).toEqual([]);
      for (const name of [live, ...others]) expect(existsSync(join(dir, name)), name).toBe(true);
      await expect.poll(() => server.stderr(), { timeout: 10_000 }).toMatch(/removed 2 unfinished downloads a stopped server left: /);
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
