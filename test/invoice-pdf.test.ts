// viam_get_invoice_pdf through a real MCP client against the sandbox as a live Viam: bytes
// saved exactly, atomically (a broken stream leaves nothing), only inside the download
// directory, never over an existing file unless asked (the server in-process, from source),
// and with memory that stays flat (a spawned server: its own peak RSS is what is measured).
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { expectedInvoicePdf, invoicePdf, LARGE_INVOICE_ID, LARGE_INVOICE_PADDING, LARGE_INVOICE_PDF_SIZE, ORG } from "../src/sandbox/data.js";
import { pdfChunks, pdfSize } from "../src/sandbox/pdf.js";
import { call, liveEnv, startServer, startViamSandbox, textOf } from "./harness.js";
import type { RunningServer, ViamSandbox } from "./harness.js";
import { startInProcess } from "./in-process.js";
import type { InProcessServer } from "./in-process.js";

let sandbox: ViamSandbox;
let server: InProcessServer;
let downloadDir: string;
let outsideDir: string;

beforeAll(async () => {
  sandbox = await startViamSandbox();
  // Real paths: the server reports paths with symlinks (e.g. a symlinked /tmp) resolved.
  downloadDir = realpathSync(mkdtempSync(join(tmpdir(), "billing-mcp-dl-")));
  outsideDir = realpathSync(mkdtempSync(join(tmpdir(), "billing-mcp-outside-")));
  server = await startInProcess(liveEnv(sandbox, { VIAM_ORG_ID: ORG.acme, BILLING_MCP_DOWNLOAD_DIR: downloadDir }));
});
afterAll(async () => {
  await server?.close();
  await sandbox?.close();
  for (const dir of [downloadDir, outsideDir]) if (dir) rmSync(dir, { recursive: true, force: true });
});
afterEach(() => {
  sandbox.faults.reset();
  // Nothing ever lands outside the download directory, and no temporary file survives.
  expect(readdirSync(outsideDir, { recursive: true })).toEqual([]);
  expect(partFiles(downloadDir)).toEqual([]);
});

const acme = () => sandbox.state.orgs.get(ORG.acme)!;
const invoice = (i: number) => acme().invoices[i]!;
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
const partFiles = (dir: string) => readdirSync(dir, { recursive: true }).map(String).filter((f) => f.endsWith(".part"));

async function save(args: Record<string, unknown>, client = server.client) {
  const result = await call(client, "viam_get_invoice_pdf", args);
  return { result, text: textOf(result), structured: result.structuredContent as { path: string; bytes: number; sha256: string } };
}
async function saved(args: Record<string, unknown>, client = server.client) {
  const outcome = await save(args, client);
  expect(outcome.result.isError, outcome.text).toBeFalsy();
  return outcome;
}
async function refused(args: Record<string, unknown>, message: RegExp) {
  const outcome = await save(args);
  expect(outcome.result.isError, outcome.text).toBe(true);
  expect(outcome.text).toMatch(message);
  return outcome;
}

/** Peak resident set of a process, in KiB (VmHWM: not ru_maxrss, which counts the pre-exec fork). */
function peakRssKiB(pid: number): number {
  const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!match) throw new Error(`no VmHWM for ${pid}`);
  return Number(match[1]);
}

describe("viam_get_invoice_pdf: saving", () => {
  it("saves byte for byte, reporting path, size and SHA-256", async () => {
    const expected = expectedInvoicePdf(acme(), invoice(2));
    const { structured, text, result } = await saved({ invoice_id: invoice(2).id, dest: "october.pdf" });
    const path = join(downloadDir, "october.pdf");
    expect(structured).toMatchObject({ invoice_id: invoice(2).id, org_id: ORG.acme, path, bytes: expected.byteLength, sha256: sha256(expected), sandbox: false });
    expect(readFileSync(path).equals(Buffer.from(expected))).toBe(true);
    expect(text).toContain(path);
    expect(text).toContain(`${expected.byteLength} bytes`);
    expect(text).toContain(sha256(expected));
    // A chosen dest gets no link: the model named the file itself.
    expect(result.content.some((c) => c.type === "resource_link")).toBe(false);
  });

  it("without dest: a stable name in ~/Downloads/billing-mcp by default, with a resource_link to it", async () => {
    const own = await startInProcess(liveEnv(sandbox, { VIAM_ORG_ID: ORG.acme }));
    try {
      const inv = invoice(1);
      const first = await call(own.client, "viam_get_invoice_pdf", { invoice_id: inv.id });
      expect(first.isError, textOf(first)).toBeFalsy();
      const path = join(realpathSync(own.home), "Downloads", "billing-mcp", `invoice-${ORG.acme}-${inv.id}.pdf`);
      const expected = expectedInvoicePdf(acme(), inv);
      expect(first.structuredContent).toMatchObject({ path, bytes: expected.byteLength });
      expect(readFileSync(path).equals(Buffer.from(expected))).toBe(true);
      expect(first.content).toContainEqual({
        type: "resource_link",
        uri: pathToFileURL(path).href,
        name: `invoice-${ORG.acme}-${inv.id}.pdf`,
        mimeType: "application/pdf",
        size: expected.byteLength,
      });
      // Stable: the same invoice maps to the same name, which is then not overwritten.
      const again = await call(own.client, "viam_get_invoice_pdf", { invoice_id: inv.id });
      expect(again.isError).toBe(true);
      expect(textOf(again)).toContain(`${path} already exists; pass overwrite: true`);
      const replaced = await call(own.client, "viam_get_invoice_pdf", { invoice_id: inv.id, overwrite: true });
      expect(replaced.structuredContent).toMatchObject({ path });
    } finally {
      await own.close();
    }
  });

  it("creates subdirectories inside the download directory, accepts .PDF, follows a symlink that stays inside", async () => {
    const inv = invoice(3);
    const expected = Buffer.from(expectedInvoicePdf(acme(), inv));
    const nested = await saved({ invoice_id: inv.id, dest: "2025/q3/july.pdf" });
    expect(nested.structured.path).toBe(join(downloadDir, "2025", "q3", "july.pdf"));
    const upper = await saved({ invoice_id: inv.id, dest: "JULY.PDF" });
    expect(upper.structured.path).toBe(join(downloadDir, "JULY.PDF"));
    symlinkSync(join(downloadDir, "2025"), join(downloadDir, "current-year"));
    const viaLink = await saved({ invoice_id: inv.id, dest: "current-year/via-link.pdf" });
    expect(viaLink.structured.path).toBe(join(downloadDir, "2025", "via-link.pdf"));
    const absolute = await saved({ invoice_id: inv.id, dest: join(downloadDir, "absolute.pdf") });
    expect(absolute.structured.path).toBe(join(downloadDir, "absolute.pdf"));
    for (const path of [nested, upper, viaLink, absolute].map((s) => s.structured.path)) expect(readFileSync(path).equals(expected)).toBe(true);
  });

  it("overwrites an existing file only with overwrite: true", async () => {
    const path = join(downloadDir, "existing.pdf");
    writeFileSync(path, "mine");
    await refused({ invoice_id: invoice(4).id, dest: "existing.pdf" }, /already exists; pass overwrite: true/);
    expect(readFileSync(path, "utf8")).toBe("mine");
    const { structured } = await saved({ invoice_id: invoice(4).id, dest: "existing.pdf", overwrite: true });
    expect(structured.path).toBe(path);
    expect(readFileSync(path).equals(Buffer.from(expectedInvoicePdf(acme(), invoice(4))))).toBe(true);
  });

  it("a file that appears at dest while downloading is not clobbered (atomic no-clobber link)", async () => {
    const path = join(downloadDir, "race.pdf");
    sandbox.faults.delayMs = 600; // the check has passed; the stream has not started
    const pending = save({ invoice_id: invoice(5).id, dest: "race.pdf" });
    await new Promise((resolve) => setTimeout(resolve, 250));
    writeFileSync(path, "arrived first");
    const { result, text } = await pending;
    expect(result.isError).toBe(true);
    expect(text).toMatch(/already exists \(it appeared while downloading\)/);
    expect(readFileSync(path, "utf8")).toBe("arrived first");
  });
});

describe("viam_get_invoice_pdf: refused destinations", () => {
  const outside = /must be inside the download directory .*BILLING_MCP_DOWNLOAD_DIR/;

  it("refuses absolute paths outside and '..' escapes", async () => {
    const id = invoice(0).id;
    await refused({ invoice_id: id, dest: join(outsideDir, "x.pdf") }, outside);
    await refused({ invoice_id: id, dest: "../x.pdf" }, outside);
    await refused({ invoice_id: id, dest: "a/../../x.pdf" }, outside);
    await refused({ invoice_id: id, dest: `${downloadDir}/../${outsideDir.split("/").pop()}/x.pdf` }, outside);
    expect(existsSync(join(downloadDir, "..", "x.pdf"))).toBe(false);
    // A name that merely starts with ".." is inside.
    expect((await saved({ invoice_id: id, dest: "..dots.pdf" })).structured.path).toBe(join(downloadDir, "..dots.pdf"));
  });

  it("refuses a symlinked directory pointing out, without creating anything through it", async () => {
    symlinkSync(outsideDir, join(downloadDir, "escape"));
    const id = invoice(0).id;
    await refused({ invoice_id: id, dest: "escape/x.pdf" }, outside);
    await refused({ invoice_id: id, dest: "escape/new/deeper/x.pdf" }, outside);
    expect(existsSync(join(outsideDir, "new"))).toBe(false); // afterEach: outsideDir stays empty
  });

  it("refuses a symlink at dest, pointing out or dangling, even with overwrite", async () => {
    const target = join(outsideDir, "target.pdf");
    symlinkSync(target, join(downloadDir, "dangling.pdf"));
    const id = invoice(0).id;
    await refused({ invoice_id: id, dest: "dangling.pdf" }, /is a symbolic link/);
    await refused({ invoice_id: id, dest: "dangling.pdf", overwrite: true }, /is a symbolic link/);
    expect(existsSync(target)).toBe(false);
  });

  it("refuses names that are not .pdf, directories, and non-portable names", async () => {
    const id = invoice(0).id;
    for (const dest of ["x.txt", "x.pdf.exe", "x", ".pdf", "x.pdf/", "x.pdf:stream"]) await refused({ invoice_id: id, dest }, /dest must name a \.pdf file/);
    await refused({ invoice_id: id, dest: downloadDir }, /dest must name a \.pdf file|must be inside/);
    mkdirSync(join(downloadDir, "folder.pdf"));
    await refused({ invoice_id: id, dest: "folder.pdf", overwrite: true }, /exists and is not a file/);
    for (const dest of ["..\\..\\x.pdf", "C:\\Windows\\x.pdf", "bad:name.pdf", "what?.pdf", "CON.pdf", "nul.pdf", "trailing./x.pdf", "x\u0001.pdf", `${"n".repeat(250)}.pdf`]) {
      // Refused by the tool (a message starting "dest") or, for control characters, by the input schema.
      await refused({ invoice_id: id, dest }, /^dest|Invalid arguments for tool viam_get_invoice_pdf: dest: /);
    }
    // The default name of a very long invoice id is shortened, not refused: Viam answers.
    await refused({ invoice_id: "i".repeat(128) }, /^Not found: PDF of invoice/);
  });
});

describe("viam_get_invoice_pdf: broken streams", () => {
  it("a stream that breaks mid-way is a tool error and leaves no file at dest", async () => {
    sandbox.faults.cutPdfStreamAfterChunks = 1;
    const { text } = await refused({ invoice_id: LARGE_INVOICE_ID, dest: "broken.pdf" }, /Viam failed on PDF of invoice "inv_acme_archive_large"/);
    expect(text).toContain(`Nothing was saved at ${join(downloadDir, "broken.pdf")}`);
    expect(existsSync(join(downloadDir, "broken.pdf"))).toBe(false);
  });

  it("a broken stream with overwrite: true leaves the existing file untouched", async () => {
    const path = join(downloadDir, "keep.pdf");
    writeFileSync(path, "previous version");
    sandbox.faults.cutPdfStreamAfterChunks = 3;
    await refused({ invoice_id: LARGE_INVOICE_ID, dest: "keep.pdf", overwrite: true }, /injected stream failure/);
    expect(readFileSync(path, "utf8")).toBe("previous version");
  });

  it("a connection dropped mid-body (no trailer, no end of the chunked body) is an error, never a truncated file", async () => {
    sandbox.faults.dropPdfConnectionAfterBytes = 5 * 1024 * 1024;
    const { text } = await refused(
      { invoice_id: LARGE_INVOICE_ID, dest: "dropped.pdf" },
      /^Viam is unavailable for PDF of invoice "inv_acme_archive_large".*\(Viam said: the connection closed before the response ended\)/,
    );
    expect(text).toContain(`Nothing was saved at ${join(downloadDir, "dropped.pdf")}`);
    expect(existsSync(join(downloadDir, "dropped.pdf"))).toBe(false);
  });

  it("an HTTP error from a proxy in front of Viam maps to its gRPC code (502: unavailable)", async () => {
    sandbox.faults.pdfHttpStatus = 502;
    await refused({ invoice_id: invoice(0).id, dest: "proxy.pdf" }, /^Viam is unavailable for PDF of invoice .*\(Viam said: HTTP 502\)/);
    sandbox.faults.pdfHttpStatus = 403;
    await refused({ invoice_id: invoice(0).id, dest: "proxy.pdf" }, /^Permission denied for PDF of invoice .*\(Viam said: HTTP 403\)/);
    expect(existsSync(join(downloadDir, "proxy.pdf"))).toBe(false);
  });
});

describe("viam_get_invoice_pdf: memory", () => {
  // A sanity check, not a benchmark (bench/ owns those). The PDF stream reads into reused
  // buffers (src/viam/grpc-web-lean-stream.ts): seen here, after a small warm-up save, the 48 MiB
  // save raises the server's VmHWM by 7-8 MiB and a 192 MiB one after it by 5-6 MiB more, V8's
  // heap growing under the stream's small per-chunk objects; holding the PDF would cost its size.
  let spawned: RunningServer;
  beforeAll(async () => {
    spawned = await startServer(liveEnv(sandbox, { VIAM_ORG_ID: ORG.acme, BILLING_MCP_DOWNLOAD_DIR: downloadDir }));
  });
  afterAll(async () => await spawned?.close());

  it("peak RSS does not grow with the PDF: a 48 MiB save, then a 192 MiB one, add a few MiB each", async () => {
    await saved({ invoice_id: invoice(0).id, dest: "warm-up.pdf", overwrite: true }, spawned.client);
    const idle = peakRssKiB(spawned.pid);

    const large = await saved({ invoice_id: LARGE_INVOICE_ID, dest: "large.pdf" }, spawned.client);
    const afterLarge = peakRssKiB(spawned.pid);
    const archive = acme().invoices.find((i) => i.id === LARGE_INVOICE_ID)!;
    const hash = createHash("sha256");
    for (const chunk of pdfChunks(invoicePdf(acme(), archive))) hash.update(chunk);
    expect(large.structured).toMatchObject({ bytes: LARGE_INVOICE_PDF_SIZE, sha256: hash.digest("hex") });
    rmSync(large.structured.path);

    archive.pdfPadding = 4 * LARGE_INVOICE_PADDING;
    try {
      const huge = await saved({ invoice_id: LARGE_INVOICE_ID, dest: "huge.pdf", timeout: 120 }, spawned.client);
      expect(huge.structured.bytes).toBe(pdfSize(invoicePdf(acme(), archive)));
      rmSync(huge.structured.path);
    } finally {
      archive.pdfPadding = LARGE_INVOICE_PADDING;
    }
    const afterHuge = peakRssKiB(spawned.pid);

    const mib = (kib: number) => Math.round((kib / 1024) * 10) / 10;
    console.info(`server VmHWM: idle ${mib(idle)} MiB; +${mib(afterLarge - idle)} MiB after the 48 MiB save; +${mib(afterHuge - afterLarge)} MiB more after the 192 MiB one`);
    // Margins for a loaded machine; holding the PDFs would cost 48 and 192 MiB.
    expect(mib(afterLarge - idle)).toBeLessThan(16);
    expect(mib(afterHuge - afterLarge)).toBeLessThan(12);
  });
});
