// Invoice PDFs as MCP resources, through a real MCP client against the sandbox: the template,
// the listing of the default organization's newest invoices, exact blobs, and the size cap.
import { describe, expect, it } from "vitest";
import { ProtocolError } from "@modelcontextprotocol/client";
import { expectedInvoicePdf, LARGE_INVOICE_ID, ORG } from "../src/sandbox/data.js";
import { liveEnv } from "./harness.js";
import { startInProcess, useInProcessServer } from "./in-process.js";
import type { InProcessServer } from "./in-process.js";

const fx = useInProcessServer((sb) => liveEnv(sb, { VIAM_ORG_ID: ORG.acme }));

const acme = () => fx.sandbox.state.orgs.get(ORG.acme)!;
const uriOf = (orgId: string, invoiceId: string) => `viam-invoice://${orgId}/${invoiceId}`;

async function readError(client: InProcessServer["client"], uri: string): Promise<ProtocolError> {
  const error = await client.readResource({ uri }).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(ProtocolError);
  return error as ProtocolError;
}

/** The invoice resources listed (the spend app's page is listed beside them: test/app.test.ts). */
async function invoiceResources(client: RunningServer["client"]) {
  const { resources } = await client.listResources();
  return { resources: resources.filter((r) => r.uri.startsWith("viam-invoice://")) };
}

describe("invoice resources", () => {
  it("offers the template viam-invoice://{org_id}/{invoice_id} as application/pdf, naming the cap and the tool", async () => {
    const { resourceTemplates } = await fx.server.client.listResourceTemplates();
    expect(resourceTemplates).toHaveLength(1);
    expect(resourceTemplates[0]).toMatchObject({ name: "viam-invoice-pdf", uriTemplate: "viam-invoice://{org_id}/{invoice_id}", mimeType: "application/pdf" });
    expect(resourceTemplates[0]!.description).toMatch(/5242880 bytes \(5 MiB, BILLING_MCP_RESOURCE_MAX_BYTES\).*viam_get_invoice_pdf/);
  });

  it("lists the default organization's 12 newest invoices with date, amount in USD and status", async () => {
    const { resources } = await invoiceResources(fx.server.client);
    const newest = [...acme().invoices].sort((a, b) => b.date.getTime() - a.date.getTime()).slice(0, 12);
    expect(resources.map((r) => r.uri)).toEqual(newest.map((i) => uriOf(ORG.acme, i.id)));
    for (const [n, resource] of resources.entries()) {
      const inv = newest[n]!;
      const date = inv.date.toISOString().slice(0, 10);
      expect(resource).toMatchObject({ name: `invoice-${ORG.acme}-${inv.id}.pdf`, mimeType: "application/pdf" });
      expect(resource.title).toBe(`Viam invoice ${date}, ${inv.amount.toFixed(2)} USD, ${inv.status}`);
      expect(resource.description).toContain(`${inv.id} of org ${ORG.acme}, dated ${date}: ${inv.amount.toFixed(2)} USD, status ${inv.status}`);
      expect(resource.description).not.toMatch(/sandbox/i);
    }
  });

  it("reads a listed invoice as a base64 blob equal to the PDF's bytes", async () => {
    const { resources } = await invoiceResources(fx.server.client);
    for (const n of [0, 3]) {
      const inv = acme().invoices.find((i) => uriOf(ORG.acme, i.id) === resources[n]!.uri)!;
      const { contents } = await fx.server.client.readResource({ uri: resources[n]!.uri });
      expect(contents).toHaveLength(1);
      const content = contents[0]!;
      expect(content).toMatchObject({ uri: resources[n]!.uri, mimeType: "application/pdf" });
      expect("blob" in content).toBe(true);
      const blob = Buffer.from((content as { blob: string }).blob, "base64");
      expect(blob.equals(Buffer.from(expectedInvoicePdf(acme(), inv)))).toBe(true);
    }
  });

  it("a PDF over the cap is not returned: the text says to use viam_get_invoice_pdf, and streaming stopped at the cap", async () => {
    // The stream would fail at chunk 200 (12.5 MiB); reading past the 5 MiB cap would hit it.
    fx.sandbox.faults.cutPdfStreamAfterChunks = 200;
    // Slow enough that the handler is still sending when the cap is reached: it must be told.
    fx.sandbox.faults.pdfChunkDelayMs = 2;
    const abortedBefore = fx.sandbox.aborted.get("GetInvoicePdf") ?? 0;
    try {
      const { contents } = await fx.server.client.readResource({ uri: uriOf(ORG.acme, LARGE_INVOICE_ID) });
      expect(contents).toHaveLength(1);
      expect(contents[0]).toMatchObject({ mimeType: "text/plain" });
      expect("blob" in contents[0]!).toBe(false);
      const text = (contents[0] as { text: string }).text;
      expect(text).toContain("larger than the resource size cap of 5242880 bytes");
      expect(text).toContain(`viam_get_invoice_pdf tool (invoice_id "${LARGE_INVOICE_ID}", org_id "${ORG.acme}")`);
      // Stopping at the cap closes the stream upstream (not left to run to its end).
      const deadline = Date.now() + 2_000;
      while ((fx.sandbox.aborted.get("GetInvoicePdf") ?? 0) === abortedBefore && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(fx.sandbox.aborted.get("GetInvoicePdf") ?? 0).toBe(abortedBefore + 1);
    } finally {
      fx.sandbox.faults.reset();
    }
  });

  it("unknown invoices, organizations the key may not read and malformed ids are errors", async () => {
    const missing = await readError(fx.server.client, uriOf(ORG.acme, "inv_nope"));
    // Resource not found, as the 2026-07-28 specification has it: -32602 with the URI in its data.
    expect(missing.code).toBe(-32602);
    expect(missing.data).toEqual({ uri: uriOf(ORG.acme, "inv_nope") });
    expect(missing.message).toContain('Not found: PDF of invoice "inv_nope"');
    const restricted = await readError(fx.server.client, uriOf(ORG.restricted, "inv_x"));
    expect(restricted.message).toMatch(/Permission denied.*organization-owner/);
    const malformed = await readError(fx.server.client, uriOf(ORG.acme, "%E0%A4%A"));
    expect(malformed.message).toContain("invoice_id in the resource URI is not valid percent-encoding");
    const tooLong = await readError(fx.server.client, uriOf(ORG.acme, "x".repeat(129)));
    expect(tooLong.message).toContain("invoice_id in the resource URI must be at most 128 characters");
  });
});

describe("invoice resources: configuration", () => {
  it("BILLING_MCP_RESOURCE_MAX_BYTES sets the cap: a small invoice over it is refused, one under it served", async () => {
    const inv = acme().invoices[0]!;
    const size = expectedInvoicePdf(acme(), inv).byteLength;
    const small = await startInProcess(liveEnv(fx.sandbox, { VIAM_ORG_ID: ORG.acme, BILLING_MCP_RESOURCE_MAX_BYTES: String(size - 1) }));
    const exact = await startInProcess(liveEnv(fx.sandbox, { VIAM_ORG_ID: ORG.acme, BILLING_MCP_RESOURCE_MAX_BYTES: String(size) }));
    try {
      const over = await small.client.readResource({ uri: uriOf(ORG.acme, inv.id) });
      expect((over.contents[0] as { text: string }).text).toContain(`larger than the resource size cap of ${size - 1} bytes`);
      const fits = await exact.client.readResource({ uri: uriOf(ORG.acme, inv.id) });
      expect(fits.contents[0]).toMatchObject({ mimeType: "application/pdf" });
    } finally {
      await Promise.all([small.close(), exact.close()]);
    }
  });

  it("without VIAM_ORG_ID a live server lists nothing but still reads any organization's invoice", async () => {
    const noDefault = await startInProcess(liveEnv(fx.sandbox));
    try {
      expect((await invoiceResources(noDefault.client)).resources).toEqual([]);
      const inv = fx.sandbox.state.orgs.get(ORG.fieldworks)!.invoices[0]!;
      const { contents } = await noDefault.client.readResource({ uri: uriOf(ORG.fieldworks, inv.id) });
      const blob = Buffer.from((contents[0] as { blob: string }).blob, "base64");
      expect(blob.equals(Buffer.from(expectedInvoicePdf(fx.sandbox.state.orgs.get(ORG.fieldworks)!, inv)))).toBe(true);
    } finally {
      await noDefault.close();
    }
  });

  it("the embedded sandbox without VIAM_ORG_ID lists org-acme and says it is sandbox data", async () => {
    const embedded = await startInProcess();
    try {
      const { resources } = await invoiceResources(embedded.client);
      expect(resources).toHaveLength(12);
      expect(resources.every((r) => r.uri.startsWith(`viam-invoice://${ORG.acme}/`))).toBe(true);
      expect(resources.every((r) => /Sandbox data \(demo\), not real billing/.test(r.description ?? ""))).toBe(true);
      const { resourceTemplates } = await embedded.client.listResourceTemplates();
      expect(resourceTemplates[0]!.description).toMatch(/^A Viam invoice's PDF.*SANDBOX DATA/);
      const { contents } = await embedded.client.readResource({ uri: resources[0]!.uri });
      expect(contents[0]).toMatchObject({ mimeType: "application/pdf", _meta: { sandbox: true } });
    } finally {
      await embedded.close();
    }
  });

  it("a server whose --tools leave out viam_get_invoice_pdf serves no invoice resources", async () => {
    const limited = await startInProcess(liveEnv(fx.sandbox, { VIAM_ORG_ID: ORG.acme }), ["--tools", "viam_get_org_billing_information"]);
    try {
      expect(limited.client.getServerCapabilities()?.resources).toBeUndefined();
    } finally {
      await limited.close();
    }
  });
});
