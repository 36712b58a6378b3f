// The sandbox speaks real gRPC-web: the npm SDK's own client reads it, and so do our
// descriptors for what the SDK lacks.
import { createPromiseClient } from "@connectrpc/connect";
import type { Transport } from "@connectrpc/connect";
import { createViamClient } from "@viamrobotics/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSandboxState, ORG, orgSubtotal } from "../src/sandbox/data.js";
import { invoicePdfLines } from "../src/sandbox/data.js";
import { invoicePdfParts, pdfBytes } from "../src/sandbox/pdf.js";
import { startViamSandbox } from "../src/sandbox/viam-sandbox.js";
import type { ViamSandbox } from "../src/sandbox/viam-sandbox.js";
import { BillingService } from "../src/viam-proto.js";

interface SdkBilling {
  getCurrentMonthUsage(orgId: string): Promise<{ subtotal?: number }>;
  getInvoicesSummary(orgId: string): Promise<{ outstandingBalance: number; invoices: { id: string }[] }>;
  getInvoicePdf(id: string, orgId: string): Promise<Uint8Array>;
}

let sandbox: ViamSandbox;
let billing: SdkBilling;
let transport: Transport;

beforeAll(async () => {
  sandbox = await startViamSandbox();
  const client = (await createViamClient({
    serviceHost: sandbox.url,
    credentials: { type: "api-key", authEntity: sandbox.apiKeyId, payload: sandbox.apiKey },
  })) as { billingClient: SdkBilling };
  billing = client.billingClient;
  transport = (client as unknown as { transport: Transport }).transport;
});
afterAll(() => sandbox?.close());

describe("sandbox Viam server", () => {
  it("serves the SDK's own billing client", async () => {
    const acme = sandbox.state.orgs.get(ORG.acme)!;
    const usage = await billing.getCurrentMonthUsage(ORG.acme);
    expect(usage.subtotal).toBeCloseTo(orgSubtotal(acme), 2);
    const summary = await billing.getInvoicesSummary(ORG.acme);
    expect(summary.invoices.map((i) => i.id)).toEqual(acme.invoices.map((i) => i.id));
  });

  it("streams a real PDF, byte for byte", async () => {
    const acme = sandbox.state.orgs.get(ORG.acme)!;
    const invoice = acme.invoices[1]!;
    const bytes = await billing.getInvoicePdf(invoice.id, ORG.acme);
    const expected = pdfBytes(invoicePdfParts(invoicePdfLines(acme, invoice)));
    expect(Buffer.from(bytes).equals(Buffer.from(expected))).toBe(true);
    const text = Buffer.from(bytes).toString("latin1");
    expect(text.startsWith("%PDF-1.4")).toBe(true);
    expect(text.trimEnd().endsWith("%%EOF")).toBe(true);
    // startxref points at the xref table.
    const xrefAt = Number(/startxref\n(\d+)/.exec(text)![1]);
    expect(text.slice(xrefAt, xrefAt + 4)).toBe("xref");
  });

  it("answers the RPCs the SDK lacks, with the newest fields", async () => {
    const client = createPromiseClient(BillingService, transport);
    const location = await client.getLocationBillingOrganization({ locationId: "loc-warehouse" });
    expect(location.billingOrganizationId).toBe(ORG.acme);
    const summary = await client.getInvoicesSummary({ orgId: ORG.acme });
    const failed = (summary.invoices as { lastPaymentFailureReason: string }[]).filter((i) => i.lastPaymentFailureReason);
    expect(failed.map((i) => i.lastPaymentFailureReason)).toContain("card_declined");
    const before = sandbox.state.orgs.get(ORG.fieldworks)!.invoices.length;
    const charged = await client.chargeOrganization({ orgIdToCharge: ORG.fieldworks, subtotal: 10, tax: 0.8, description: "field service" });
    expect(charged.invoiceId).toMatch(/^inv_sbx_/);
    expect(sandbox.state.orgs.get(ORG.fieldworks)!.invoices.length).toBe(before + 1);
    expect(sandbox.calls.get("ChargeOrganization")).toBe(1);
  });

  it("rejects a wrong key and unknown orgs like Viam does", async () => {
    await expect(
      createViamClient({ serviceHost: sandbox.url, credentials: { type: "api-key", authEntity: sandbox.apiKeyId, payload: "wrong" } }),
    ).rejects.toMatchObject({ code: 16 });
    await expect(billing.getInvoicesSummary("org-nope")).rejects.toMatchObject({ code: 5 });
    await expect(billing.getInvoicesSummary(ORG.restricted)).rejects.toMatchObject({ code: 7 });
  });

  it("builds the same data twice (deterministic)", () => {
    const now = new Date("2026-11-15T00:00:00Z");
    expect(JSON.stringify([...createSandboxState(now).orgs.values()])).toBe(JSON.stringify([...createSandboxState(now).orgs.values()]));
  });
});
