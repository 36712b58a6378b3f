// Viam speaks HTTPS: the sandbox served over TLS on loopback (a self-signed test certificate
// for 127.0.0.1, trusted by the server through NODE_EXTRA_CA_CERTS), and the built server's
// login, unary calls and PDF stream over it, through a real MCP client.
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { invoicePdf, LARGE_INVOICE_ID, ORG } from "../src/sandbox/data.js";
import { pdfChunks } from "../src/sandbox/pdf.js";
import { createAsyncIterable } from "@connectrpc/connect/protocol";
import { describeViamFailure } from "../src/core/errors.js";
import { streamBorrowingMessages } from "../src/viam/grpc-web-lean-stream.js";
import { BillingService, GetInvoicePdfRequest } from "../src/viam/proto.js";
import { call, liveEnv, startServer, startViamSandbox, textOf } from "./harness.js";
import type { RunningServer, ViamSandbox } from "./harness.js";

// Test-only key and certificate (valid to 2126), never used outside the loopback sandbox.
const CERT = resolve(import.meta.dirname, "fixtures/loopback-tls-cert.pem");
const KEY = resolve(import.meta.dirname, "fixtures/loopback-tls-key.pem");

let sandbox: ViamSandbox;
let server: RunningServer;
let downloadDir: string;

beforeAll(async () => {
  sandbox = await startViamSandbox({ tls: { key: readFileSync(KEY, "utf8"), cert: readFileSync(CERT, "utf8") } });
  downloadDir = realpathSync(mkdtempSync(join(tmpdir(), "billing-mcp-tls-")));
  server = await startServer(liveEnv(sandbox, { VIAM_ORG_ID: ORG.acme, BILLING_MCP_DOWNLOAD_DIR: downloadDir, NODE_EXTRA_CA_CERTS: CERT }));
});
afterAll(async () => {
  await server?.close();
  await sandbox?.close();
  if (downloadDir) rmSync(downloadDir, { recursive: true, force: true });
});

describe("over HTTPS", () => {
  it("logs in, answers a unary call, and saves the 48 MiB PDF byte for byte", async () => {
    expect(sandbox.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const tiers = await call(server.client, "viam_get_available_billing_tiers");
    expect(tiers.isError, textOf(tiers)).toBeFalsy();

    const archive = sandbox.state.orgs.get(ORG.acme)!.invoices.find((i) => i.id === LARGE_INVOICE_ID)!;
    const hash = createHash("sha256");
    let bytes = 0;
    for (const chunk of pdfChunks(invoicePdf(sandbox.state.orgs.get(ORG.acme)!, archive))) {
      hash.update(chunk);
      bytes += chunk.byteLength;
    }
    const saved = await call(server.client, "viam_get_invoice_pdf", { invoice_id: LARGE_INVOICE_ID, dest: "tls.pdf", timeout: 120 });
    expect(saved.isError, textOf(saved)).toBeFalsy();
    expect(saved.structuredContent).toMatchObject({ path: join(downloadDir, "tls.pdf"), bytes, sha256: hash.digest("hex") });
  });

  it("a connection dropped mid-body over TLS is an error and leaves no file", async () => {
    sandbox.faults.dropPdfConnectionAfterBytes = 3 * 1024 * 1024;
    try {
      const result = await call(server.client, "viam_get_invoice_pdf", { invoice_id: LARGE_INVOICE_ID, dest: "tls-dropped.pdf" });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(/^Viam is unavailable for PDF of invoice .*the connection closed before the response ended/);
      expect(textOf(result)).toContain("Nothing was saved at");
    } finally {
      sandbox.faults.reset();
    }
  });
});

describe("over HTTPS with a certificate the server does not trust", () => {
  it("refuses to talk: the call is an error, nothing is sent past the handshake, and no PDF is written", async () => {
    const untrusting = await startServer(liveEnv(sandbox, { VIAM_ORG_ID: ORG.acme, BILLING_MCP_DOWNLOAD_DIR: downloadDir }));
    try {
      const before = sandbox.calls.get("GetAvailableBillingTiers") ?? 0;
      const tiers = await call(untrusting.client, "viam_get_available_billing_tiers", { timeout: 5 });
      expect(tiers.isError).toBe(true);
      expect(sandbox.calls.get("GetAvailableBillingTiers") ?? 0).toBe(before);
      const pdf = await call(untrusting.client, "viam_get_invoice_pdf", { invoice_id: LARGE_INVOICE_ID, dest: "untrusted.pdf", timeout: 5 });
      expect(pdf.isError).toBe(true);
      expect(() => readFileSync(join(downloadDir, "untrusted.pdf"))).toThrow();
      for (const result of [tiers, pdf]) {
        expect(textOf(result)).toMatch(/^Could not verify the TLS certificate of VIAM_SERVICE_HOST for .* \(self-signed certificate\); nothing was sent\. .*NODE_EXTRA_CA_CERTS/);
      }
    } finally {
      await untrusting.close();
    }
  });
});

describe("the PDF reader itself, against a certificate this process does not trust", () => {
  it("fails with the TLS error as its cause, which reads as a certificate problem, not an outage", async () => {
    // This test process has no NODE_EXTRA_CA_CERTS: the sandbox's certificate does not verify.
    const request = new GetInvoicePdfRequest({ id: LARGE_INVOICE_ID, orgId: ORG.acme });
    const failure = await streamBorrowingMessages(sandbox.url, BillingService, BillingService.methods.getInvoicePdf, undefined, 5_000, undefined, createAsyncIterable([request])).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failure).toBeDefined();
    expect(describeViamFailure(failure, "PDF of invoice", 5_000).message).toMatch(/^Could not verify the TLS certificate of VIAM_SERVICE_HOST for PDF of invoice \(self-signed certificate\)/);
  });
});
