// Every read tool through a real MCP client (in-process, from source), against the sandbox,
// through the real @viamrobotics/sdk authentication and gRPC-web transport. Figures are checked
// against the sandbox's data, not against constants.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { invoicePdfLines, LOCATIONS, ORG, orgSubtotal, outstandingBalance, sourceTotals, TIERS } from "../src/sandbox/data.js";
import { invoicePdfParts, pdfBytes } from "../src/sandbox/pdf.js";
import { call, liveEnv, textOf } from "./harness.js";
import { startInProcess, useInProcessServer } from "./in-process.js";

// Output schemas listed, so that the MCP SDK's Client also checks every answer against them.
const fx = useInProcessServer((sb) => liveEnv(sb, { VIAM_ORG_ID: ORG.acme, BILLING_MCP_OUTPUT_SCHEMAS: "true" }));

type Structured = Record<string, unknown>;
async function ok(name: string, args: Record<string, unknown> = {}) {
  const result = await call(fx.server.client, name, args);
  expect(result.isError, textOf(result)).toBeFalsy();
  return { structured: result.structuredContent as Structured, text: textOf(result), result };
}

describe("read tools against the sandbox as a live Viam", () => {
  it("lists exactly the read tools (besides the disabled stubs of the write tools), each with schemas and read-only hints", async () => {
    const tools = (await fx.server.client.listTools()).tools.filter((t) => !t.description?.startsWith("Disabled: "));
    expect(tools.map((t) => t.name).sort()).toEqual([
      "billing_spend_overview",
      "latitude_get_billing_usage",
      "viam_get_available_billing_tiers",
      "viam_get_current_month_usage",
      "viam_get_invoice_pdf",
      "viam_get_invoices_summary",
      "viam_get_location_billing_organization",
      "viam_get_org_billing_information",
      "viam_list_organizations",
    ]);
    for (const tool of tools) {
      // destructiveHint and idempotentHint mean nothing for a read-only tool (MCP), so they are not listed.
      expect(tool.annotations).toEqual({ readOnlyHint: true, openWorldHint: true });
      expect(tool.outputSchema?.properties).toHaveProperty("sandbox");
      expect(tool.inputSchema.properties).toHaveProperty("timeout");
      for (const [field, schema] of Object.entries(tool.inputSchema.properties ?? {})) {
        expect((schema as { description?: string }).description, `${tool.name}.${field}`).toBeTruthy();
      }
    }
  });

  it("usage: subtotal, sources with fragments and tiers, unknown enum values kept", async () => {
    const acme = fx.sandbox.state.orgs.get(ORG.acme)!;
    const { structured, text } = await ok("viam_get_current_month_usage", { org_id: ORG.acme });
    expect(structured.subtotal).toBeCloseTo(orgSubtotal(acme), 2);
    expect(structured.sandbox).toBe(false);
    const sources = structured.sources as { source_type: string; tier_name: string; net: number }[];
    expect(sources.map((s) => s.source_type)).toEqual(["org", "fragment", "fragment"]);
    expect(sources.map((s) => s.tier_name)).toEqual(acme.sources.map((s) => s.tierName));
    expect(sources[0]!.net).toBeCloseTo(sourceTotals(acme.sources[0]!).totalWithDiscount, 2);
    expect(text).toContain(`= net ${orgSubtotal(acme).toFixed(2)}.`);
    const compute = acme.sources[0]!.costs.find((c) => c.resourceType === 4)!;
    expect(text).toContain(`standard_compute ${compute.cost.toFixed(2)}`);
    expect(structured.period_start).toMatch(/^\d{4}-\d{2}-01$/);

    const orbital = await ok("viam_get_current_month_usage", { org_id: ORG.orbital });
    expect(orbital.text).toContain("premium_module");
    expect(orbital.text).toContain("unrecognised_99");
    expect(orbital.text).toContain("unrecognised_7"); // a source type from a newer server
  });

  it("default org: org_id may be omitted when VIAM_ORG_ID is set", async () => {
    const { structured } = await ok("viam_get_current_month_usage");
    expect(structured.org_id).toBe(ORG.acme);
  });

  it("billing information: card, and US bank account with verification", async () => {
    const card = await ok("viam_get_org_billing_information", { org_id: ORG.acme });
    expect(card.structured).toMatchObject({ payment_method_type: "card", card: { brand: "visa", last_four_digits: "4242" }, billing_tier: "pro", us_bank_account: null });
    const bank = await ok("viam_get_org_billing_information", { org_id: ORG.fieldworks });
    expect(bank.structured).toMatchObject({
      payment_method_type: "usbankaccount",
      billing_tier: null,
      us_bank_account: { bank_name: "First Prairie Bank", account_type: "checking", last_four_digits_account_number: "6789" },
    });
    expect(bank.text).toMatch(/Unverified: micro-deposits arrive \d{4}-\d{2}-\d{2}/);
  });

  it("invoices: balance, failure reasons and times, unknown statuses kept", async () => {
    const acme = fx.sandbox.state.orgs.get(ORG.acme)!;
    const { structured, text } = await ok("viam_get_invoices_summary", { org_id: ORG.acme });
    expect(structured.outstanding_balance).toBeCloseTo(outstandingBalance(acme), 2);
    const invoices = structured.invoices as { id: string; last_payment_failure_reason: string | null; last_payment_failure_at: string | null }[];
    expect(structured.total_invoices).toBe(acme.invoices.length);
    const failed = invoices.find((i) => i.last_payment_failure_reason === "card_declined");
    expect(failed?.last_payment_failure_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(text).toContain("last payment failed: card_declined");

    const orbital = await ok("viam_get_invoices_summary", { org_id: ORG.orbital });
    expect(orbital.text).toContain("in_review");
    expect(orbital.text).toContain("bank_account_restricted");
  });

  it("invoice PDF: saved byte for byte, with size and SHA-256", async () => {
    const acme = fx.sandbox.state.orgs.get(ORG.acme)!;
    const invoice = acme.invoices[2]!;
    const expected = Buffer.from(pdfBytes(invoicePdfParts(invoicePdfLines(acme, invoice))));
    const { structured } = await ok("viam_get_invoice_pdf", { invoice_id: invoice.id, dest: "october.pdf" });
    const path = join(fx.server.home, "Downloads", "billing-mcp", "october.pdf");
    expect(structured).toMatchObject({ path, bytes: expected.length, sha256: createHash("sha256").update(expected).digest("hex") });
    expect(readFileSync(path).equals(expected)).toBe(true);
  });

  it("tiers and location billing organization (an RPC absent from the npm SDK)", async () => {
    expect((await ok("viam_get_available_billing_tiers")).structured.tiers).toEqual(TIERS);
    const location = await ok("viam_get_location_billing_organization", { location_id: LOCATIONS.field });
    expect(location.structured.billing_organization_id).toBe(ORG.fieldworks);
  });

  it("authenticates once for many concurrent calls", async () => {
    const results = await Promise.all(Array.from({ length: 20 }, () => call(fx.server.client, "viam_get_available_billing_tiers")));
    expect(results.every((r) => !r.isError)).toBe(true);
    expect(fx.server.stderr().match(/authenticated to/g)).toHaveLength(1);
  });
});

describe("embedded sandbox (no credentials)", () => {
  it("starts the sandbox in-process and marks every answer and the instructions", async () => {
    const embedded = await startInProcess();
    try {
      expect(embedded.client.getInstructions()).toMatch(/SANDBOX MODE/);
      // Writes are off: one line says the charge and update tools exist and how they are enabled.
      expect(embedded.client.getInstructions()?.split("\n").filter((l) => /--allow-writes/.test(l))).toEqual([expect.stringMatching(/^Charge and update tools .* are off; .*BILLING_MCP_ALLOW_WRITES=true/)]);
      const result = await call(embedded.client, "viam_get_invoices_summary", { org_id: ORG.fieldworks });
      expect(result.isError).toBeFalsy();
      expect(textOf(result)).toMatch(/^SANDBOX DATA/);
      expect(result.structuredContent).toMatchObject({ sandbox: true });
      expect(textOf(result)).toContain("insufficient_funds");
    } finally {
      await embedded.close();
    }
  });
});
