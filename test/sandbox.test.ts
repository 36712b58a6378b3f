// The sandbox speaks real gRPC-web: the npm SDK's own client reads it, and so does the code
// generated from the vendored proto (src/viam/proto.ts) for what the SDK lacks, after the
// same API-key login the SDK makes.
// Assertions are against the sandbox's data (src/sandbox/data.ts), not copied numbers.
import { Code, createPromiseClient } from "@connectrpc/connect";
import type { CallOptions, Transport } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-node";
import { createViamClient } from "@viamrobotics/sdk";
import type { ViamClient } from "@viamrobotics/sdk";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  ACME_INVOICE_COUNT, createSandboxState, currentPeriodOf, elapsedShareOf, monthlyNet, expectedInvoicePdf, FLEET_INVOICE_COUNT, LARGE_INVOICE_ID,
  LARGE_INVOICE_PDF_SIZE, legacyUsage, LOCATIONS, ORG, orgSubtotal, outstandingBalance, PREMIUM_MODULE, sourceTotals, TIERS,
  UNKNOWN_USAGE_COST_TYPE,
} from "../src/sandbox/data.js";
import { PDF_CHUNK_SIZE } from "../src/sandbox/pdf.js";
import { startViamSandbox } from "./harness.js";
import type { ViamSandbox } from "./harness.js";
import { testClock } from "./clock.js";
import { AuthService, BillingService } from "../src/viam/proto.js";
import type { GetCurrentMonthUsageResponse, GetInvoicesSummaryResponse, GetOrgBillingInformationResponse } from "../src/viam/proto.js";
import type { RequestOf, ResponseOf } from "../src/viam/connection.js";

type Unary = Exclude<keyof typeof BillingService.methods, "getInvoicePdf">;

/** Typed calls through the generated BillingService descriptor. */
function rpcOver(transport: Transport) {
  const client = createPromiseClient(BillingService, transport);
  return async <K extends Unary>(key: K, req: RequestOf<K>, opts?: CallOptions) => {
    // A union of keys gives a union of methods, which TypeScript cannot call; this is that one method.
    const method = client[key] as unknown as (r: typeof req, o?: CallOptions) => Promise<ResponseOf<K>>;
    return method(req, opts);
  };
}
async function* pdfOver(transport: Transport, id: string, orgId: string, opts?: CallOptions): AsyncGenerator<Uint8Array> {
  for await (const m of createPromiseClient(BillingService, transport).getInvoicePdf({ id, orgId }, opts)) yield m.chunk;
}
/** The SDK's API-key login (AuthService/Authenticate), then a transport that sends its token as the SDK does. */
async function loginTransport(s: ViamSandbox): Promise<Transport> {
  const anonymous = createGrpcWebTransport({ baseUrl: s.url, httpVersion: "1.1" });
  const { accessToken } = await createPromiseClient(AuthService, anonymous).authenticate({
    entity: s.apiKeyId,
    credentials: { type: "api-key", payload: s.apiKey },
  });
  return createGrpcWebTransport({
    baseUrl: s.url,
    httpVersion: "1.1",
    interceptors: [(next) => (req) => (req.header.set("authorization", `Bearer ${accessToken}`), next(req))],
  });
}
const connectTo = (s: ViamSandbox) =>
  createViamClient({ serviceHost: s.url, credentials: { type: "api-key", authEntity: s.apiKeyId, payload: s.apiKey } });
// Under NodeNext the SDK's .d.ts files import "../gen/..." without an extension, so its
// billing responses type as `any`; pin them to the proto's field shapes.
const sdkBilling = (client: ViamClient) => ({
  getCurrentMonthUsage: (orgId: string): Promise<GetCurrentMonthUsageResponse> => client.billingClient.getCurrentMonthUsage(orgId),
  getOrgBillingInformation: (orgId: string): Promise<GetOrgBillingInformationResponse> => client.billingClient.getOrgBillingInformation(orgId),
  getInvoicesSummary: (orgId: string): Promise<GetInvoicesSummaryResponse> => client.billingClient.getInvoicesSummary(orgId),
  getInvoicePdf: (id: string, orgId: string): Promise<Uint8Array> => client.billingClient.getInvoicePdf(id, orgId),
});
const code = (c: Code, message?: RegExp) => (message ? { code: c, message: expect.stringMatching(message) } : { code: c });

let sandbox: ViamSandbox;
let viam: ViamClient;
let transport: Transport;
let rpc: ReturnType<typeof rpcOver>;
let sdk: ReturnType<typeof sdkBilling>;
const org = (id: string) => sandbox.state.orgs.get(id)!;

beforeAll(async () => {
  sandbox = await startViamSandbox();
  viam = await connectTo(sandbox);
  transport = await loginTransport(sandbox);
  rpc = rpcOver(transport);
  sdk = sdkBilling(viam);
});
afterAll(() => sandbox?.close());

describe("the SDK's own billing client", () => {
  it("current month usage: sources, totals and deprecated figures agree", async () => {
    const acme = org(ORG.acme);
    const usage = await sdk.getCurrentMonthUsage(ORG.acme);
    expect(usage.subtotal).toBeCloseTo(orgSubtotal(acme), 2);
    expect(usage.startDate?.toDate()).toEqual(currentPeriodOf(testClock()).start);
    expect(usage.endDate?.toDate()).toEqual(currentPeriodOf(testClock()).end);
    expect(usage.resourceUsageCostsBySource.map((s) => s.sourceType)).toEqual([1, 2, 2]);
    let sum = 0;
    for (const [i, s] of usage.resourceUsageCostsBySource.entries()) {
      const costs = s.resourceUsageCosts!;
      expect(costs.totalWithDiscount).toBeCloseTo(costs.totalWithoutDiscount - costs.discount, 2);
      expect(costs.totalWithDiscount).toBeCloseTo(sourceTotals(acme.sources[i]!).totalWithDiscount, 2);
      sum += costs.totalWithDiscount;
    }
    expect(sum).toBeCloseTo(usage.subtotal, 2);
    const legacy = legacyUsage(acme);
    expect(usage.totalUsageWithDiscount).toBeCloseTo(usage.subtotal, 2);
    expect(usage.totalUsageWithoutDiscount - usage.discountAmount).toBeCloseTo(usage.subtotal, 2);
    expect(usage.standardComputeUsageCost).toBe(legacy.standardComputeUsageCost);
    expect(usage.perMachineUsageCost).toBe(legacy.perMachineUsageCost);
  });

  it("billing information: a card, and an unverified US bank account without a tier", async () => {
    const acme = await sdk.getOrgBillingInformation(ORG.acme);
    expect(acme).toMatchObject({ type: 1, billingTier: "pro", method: { brand: "visa", lastFourDigits: "4242" } });
    expect(acme.billingEmail).toContain("@");
    const bank = await sdk.getOrgBillingInformation(ORG.fieldworks);
    expect(bank.type).toBe(2);
    expect(bank.billingTier).toBeUndefined();
    expect(bank.method).toBeUndefined();
    expect(bank.methodUsBankAccount).toMatchObject({ accountType: "checking", lastFourDigitsAccountNumber: expect.stringMatching(/^\d{4}$/) });
    const arrival = bank.methodUsBankAccount!.verificationInfo!.arrivalDate;
    expect(typeof arrival).toBe("bigint");
    expect(Number(arrival)).toBeGreaterThan(testClock().getTime() / 1000);
    const empty = await sdk.getOrgBillingInformation(ORG.empty);
    expect(empty.type).toBe(0);
  });

  it("invoices summary: every invoice, newest first, and the unpaid balance", async () => {
    const acme = org(ORG.acme);
    const summary = await sdk.getInvoicesSummary(ORG.acme);
    expect(summary.invoices).toHaveLength(ACME_INVOICE_COUNT);
    expect(summary.invoices.map((i) => i.id)).toEqual(acme.invoices.map((i) => i.id));
    expect(summary.outstandingBalance).toBeCloseTo(outstandingBalance(acme), 2);
    expect(summary.invoices[0]).toMatchObject({ status: "outstanding" });
    // Issued on the 1st for last month, on 45-day terms: not yet due on any day of the month.
    const newest = summary.invoices[0]!;
    expect(newest.dueDate!.toDate().getTime() - newest.invoiceDate!.toDate().getTime()).toBe(45 * 86_400_000);
    expect(summary.invoices.filter((i) => i.status === "paid").every((i) => i.paidDate)).toBe(true);
  });

  it("invoice PDF: a real PDF, byte for byte", async () => {
    const acme = org(ORG.acme);
    const invoice = acme.invoices[1]!;
    const bytes = await sdk.getInvoicePdf(invoice.id, ORG.acme);
    expect(Buffer.from(bytes).equals(Buffer.from(expectedInvoicePdf(acme, invoice)))).toBe(true);
    const text = Buffer.from(bytes).toString("latin1");
    expect(text.startsWith("%PDF-1.4\n")).toBe(true);
    expect(text.endsWith("%%EOF\n")).toBe(true);
    for (const s of [acme.name, invoice.id, `${invoice.amount.toFixed(2)} USD`, invoice.date.toISOString().slice(0, 10)]) expect(text).toContain(s);
    // startxref points at the xref table, and every xref entry at its object.
    const xrefAt = Number(/startxref\n(\d+)\n%%EOF/.exec(text)![1]);
    expect(text.slice(xrefAt, xrefAt + 5)).toBe("xref\n");
    const offsets = [...text.slice(xrefAt).matchAll(/^(\d{10}) 00000 n $/gm)].map((m) => Number(m[1]));
    expect(offsets).toHaveLength(6);
    offsets.forEach((o, i) => expect(text.slice(o).startsWith(`${i + 1} 0 obj\n`)).toBe(true));
  });
});

describe("the RPCs and fields the SDK lacks, over the SDK's transport", () => {
  it("InvoiceSummary fields 7-8 and values from a newer server", async () => {
    const acme = await rpc("getInvoicesSummary", { orgId: ORG.acme });
    const failed = acme.invoices.filter((i) => i.lastPaymentFailureReason);
    expect(failed.map((i) => i.lastPaymentFailureReason)).toEqual(["card_declined"]);
    expect(failed[0]!.lastPaymentFailureAt!.toDate().getTime()).toBeGreaterThan(failed[0]!.invoiceDate!.toDate().getTime());
    const field = await rpc("getInvoicesSummary", { orgId: ORG.fieldworks });
    expect(field.invoices.map((i) => i.lastPaymentFailureReason)).toContain("insufficient_funds");
    const orbital = await rpc("getInvoicesSummary", { orgId: ORG.orbital });
    expect(orbital.invoices[0]).toMatchObject({ status: "in_review", lastPaymentFailureReason: "bank_account_restricted" });
    const usage = await rpc("getCurrentMonthUsage", { orgId: ORG.orbital });
    const types = usage.resourceUsageCostsBySource.flatMap((s) => s.resourceUsageCosts!.usageCosts.map((c) => c.resourceType));
    expect(types).toEqual(expect.arrayContaining([PREMIUM_MODULE, UNKNOWN_USAGE_COST_TYPE]));
  });

  it("org-fleet has hundreds of invoices in every state; org-empty has none", async () => {
    const fleet = await rpc("getInvoicesSummary", { orgId: ORG.fleet });
    expect(fleet.invoices).toHaveLength(FLEET_INVOICE_COUNT);
    expect(new Set(fleet.invoices.map((i) => i.status))).toEqual(new Set(["paid", "outstanding", "payment_failed"]));
    expect(new Set(fleet.invoices.map((i) => i.lastPaymentFailureReason).filter(Boolean)).size).toBeGreaterThan(2);
    expect(await rpc("getInvoicesSummary", { orgId: ORG.empty })).toMatchObject({ outstandingBalance: 0, invoices: [] });
    expect(await rpc("getCurrentMonthUsage", { orgId: ORG.empty })).toMatchObject({ subtotal: 0, resourceUsageCostsBySource: [] });
  });

  it("tiers and locations", async () => {
    expect((await rpc("getAvailableBillingTiers", {})).tiers).toEqual(TIERS);
    expect((await rpc("getLocationBillingOrganization", { locationId: LOCATIONS.warehouse })).billingOrganizationId).toBe(ORG.acme);
    await rpc("updateLocationBillingOrganization", { locationId: LOCATIONS.warehouse, billingOrganizationId: ORG.fleet });
    expect(sandbox.state.locations.get(LOCATIONS.warehouse)).toBe(ORG.fleet);
    expect((await rpc("getLocationBillingOrganization", { locationId: LOCATIONS.warehouse })).billingOrganizationId).toBe(ORG.fleet);
    await rpc("updateOrganizationBillingTier", { organizationId: ORG.acme, billingTier: "business" });
    expect(org(ORG.acme).tier).toBe("business");
  });

  it("charges create invoices on the charged org; emails are recorded", async () => {
    const before = org(ORG.fieldworks).invoices.length;
    const calls = sandbox.calls.get("ChargeOrganization") ?? 0;
    const { invoiceId } = await rpc("chargeOrganization", { orgIdToCharge: ORG.fieldworks, subtotal: 10, tax: 0.8, description: "field service" });
    const created = org(ORG.fieldworks).invoices.find((i) => i.id === invoiceId);
    expect(created).toMatchObject({ amount: 10.8, status: "outstanding", description: "field service", subtotal: 10, tax: 0.8, emailSent: true });
    expect(org(ORG.fieldworks).invoices).toHaveLength(before + 1);
    expect(sandbox.calls.get("ChargeOrganization")).toBe(calls + 1);
    const summary = await rpc("getInvoicesSummary", { orgId: ORG.fieldworks });
    expect(summary.invoices[0]!.id).toBe(invoiceId);
    expect(summary.outstandingBalance).toBeCloseTo(outstandingBalance(org(ORG.fieldworks)), 2);

    const legacy = await rpc("createInvoiceAndChargeImmediately", { orgIdToCharge: ORG.acme, amount: 42.5, disableEmail: true });
    expect(org(ORG.acme).invoices[0]).toMatchObject({ id: legacy.invoiceId, amount: 42.5, status: "paid", emailSent: false });

    await rpc("sendPaymentRequiredEmail", { customerOrgId: ORG.fieldworks, billingOwnerOrgId: ORG.acme });
    expect(sandbox.state.emails.at(-1)).toMatchObject({ customerOrgId: ORG.fieldworks, billingOwnerOrgId: ORG.acme });
  });

  it("a 48 MiB PDF streams in 64 KiB chunks with a valid trailer", async () => {
    let size = 0;
    let chunks = 0;
    let head = "";
    let tail = Buffer.alloc(0);
    for await (const chunk of pdfOver(transport, LARGE_INVOICE_ID, ORG.acme)) {
      expect(chunk.byteLength).toBeLessThanOrEqual(PDF_CHUNK_SIZE);
      if (size + chunk.byteLength < LARGE_INVOICE_PDF_SIZE) expect(chunk.byteLength).toBe(PDF_CHUNK_SIZE);
      if (chunks++ === 0) head = Buffer.from(chunk.subarray(0, 16)).toString("latin1");
      tail = Buffer.concat([tail, chunk]).subarray(-4096);
      size += chunk.byteLength;
    }
    expect(size).toBe(LARGE_INVOICE_PDF_SIZE);
    expect(size).toBeGreaterThan(48 * 1024 * 1024);
    expect(chunks).toBe(Math.ceil(size / PDF_CHUNK_SIZE));
    expect(head.startsWith("%PDF-1.4\n")).toBe(true);
    const text = tail.toString("latin1");
    expect(text.endsWith("%%EOF\n")).toBe(true);
    const xrefAt = Number(/startxref\n(\d+)\n/.exec(text)![1]);
    expect(text.slice(xrefAt - (size - tail.byteLength), xrefAt - (size - tail.byteLength) + 5)).toBe("xref\n");
  });
});

describe("errors like Viam's", () => {
  it("authentication: a wrong key, a wrong key id, no token", async () => {
    const wrong = (authEntity: string, payload: string) =>
      createViamClient({ serviceHost: sandbox.url, credentials: { type: "api-key", authEntity, payload } });
    await expect(wrong(sandbox.apiKeyId, "wrong")).rejects.toMatchObject(code(Code.Unauthenticated, /invalid API key/));
    await expect(wrong("someone-else", sandbox.apiKey)).rejects.toMatchObject(code(Code.Unauthenticated));
    const anonymous = rpcOver(createGrpcWebTransport({ baseUrl: sandbox.url, httpVersion: "1.1" }));
    const calls = sandbox.calls.get("GetAvailableBillingTiers") ?? 0;
    await expect(anonymous("getAvailableBillingTiers", {})).rejects.toMatchObject(code(Code.Unauthenticated));
    expect(sandbox.calls.get("GetAvailableBillingTiers") ?? 0).toBe(calls);
  });

  it("missing fields, unknown and foreign resources, bad amounts and tiers", async () => {
    await expect(sdk.getInvoicesSummary("")).rejects.toMatchObject(code(Code.InvalidArgument, /org_id/));
    await expect(sdk.getInvoicesSummary("org-nope")).rejects.toMatchObject(code(Code.NotFound));
    await expect(sdk.getCurrentMonthUsage(ORG.restricted)).rejects.toMatchObject(code(Code.PermissionDenied));
    await expect(sdk.getInvoicePdf("inv_nope", ORG.acme)).rejects.toMatchObject(code(Code.NotFound));
    await expect(sdk.getInvoicePdf("", ORG.acme)).rejects.toMatchObject(code(Code.InvalidArgument, /\bid\b/));
    await expect(rpc("getLocationBillingOrganization", { locationId: "" })).rejects.toMatchObject(code(Code.InvalidArgument, /location_id/));
    await expect(rpc("getLocationBillingOrganization", { locationId: "loc-nope" })).rejects.toMatchObject(code(Code.NotFound));
    const charge = (subtotal: number, tax: number) => rpc("chargeOrganization", { orgIdToCharge: ORG.acme, subtotal, tax });
    for (const [subtotal, tax, field] of [[0, 1, "subtotal"], [-5, 0, "subtotal"], [NaN, 0, "subtotal"], [10, -1, "tax"], [10, Infinity, "tax"]] as const) {
      await expect(charge(subtotal, tax)).rejects.toMatchObject(code(Code.InvalidArgument, new RegExp(field)));
    }
    await expect(rpc("chargeOrganization", { orgIdToCharge: "", subtotal: 1 })).rejects.toMatchObject(code(Code.InvalidArgument, /org_id_to_charge/));
    await expect(rpc("chargeOrganization", { orgIdToCharge: ORG.restricted, subtotal: 1 })).rejects.toMatchObject(code(Code.PermissionDenied));
    await expect(rpc("updateOrganizationBillingTier", { organizationId: ORG.acme, billingTier: "platinum" })).rejects.toMatchObject(
      code(Code.InvalidArgument, /billing_tier/),
    );
  });
});

describe("fault injection", () => {
  let faulty: ViamSandbox;
  let client: Transport;
  beforeAll(async () => {
    faulty = await startViamSandbox();
    client = await loginTransport(faulty);
  });
  afterEach(() => faulty.faults.reset());
  afterAll(() => faulty?.close());
  const tiers = () => rpcOver(client)("getAvailableBillingTiers", {});

  it("the next N calls fail with UNAVAILABLE or RESOURCE_EXHAUSTED, then it serves again", async () => {
    faulty.faults.unavailableNext = 2;
    faulty.faults.resourceExhaustedNext = 1;
    await expect(tiers()).rejects.toMatchObject(code(Code.Unavailable));
    await expect(tiers()).rejects.toMatchObject(code(Code.Unavailable));
    await expect(tiers()).rejects.toMatchObject(code(Code.ResourceExhausted));
    expect((await tiers()).tiers).toEqual(TIERS);
    expect(faulty.calls.get("GetAvailableBillingTiers")).toBe(4);
  });

  it("a delay stops at the caller's deadline", async () => {
    faulty.faults.delayMs = 10_000;
    const started = Date.now();
    await expect(rpcOver(client)("getAvailableBillingTiers", {}, { timeoutMs: 200 })).rejects.toMatchObject(code(Code.DeadlineExceeded));
    expect(Date.now() - started).toBeLessThan(5_000); // the delay is 10 s
    faulty.faults.delayMs = 0;
    expect((await tiers()).tiers).toEqual(TIERS);
  });

  it("a PDF stream breaks after N chunks", async () => {
    faulty.faults.cutPdfStreamAfterChunks = 3;
    let received = 0;
    const read = async () => {
      for await (const _chunk of pdfOver(client, LARGE_INVOICE_ID, ORG.acme)) received++;
    };
    await expect(read()).rejects.toMatchObject(code(Code.Internal));
    expect(received).toBe(3);
  });

  it("expired tokens are refused as expired; a new login works", async () => {
    faulty.faults.expireTokens();
    await expect(tiers()).rejects.toMatchObject(code(Code.Unauthenticated, /expired/));
    client = await loginTransport(faulty);
    expect((await tiers()).tiers).toEqual(TIERS);
    expect(faulty.calls.get("Authenticate")).toBe(2);
  });
});

describe("true to its own clock", () => {
  it("usage accrues over the month: each cost is its monthly rate times the elapsed share, as served", async () => {
    const share = elapsedShareOf(testClock());
    for (const id of [ORG.acme, ORG.fieldworks, ORG.orbital, ORG.fleet]) {
      const usage = await rpc("getCurrentMonthUsage", { orgId: id });
      const served = usage.resourceUsageCostsBySource.flatMap((s) => s.resourceUsageCosts!.usageCosts.map((c) => c.cost));
      const rates = org(id).sources.flatMap((s) => s.costs.map((c) => c.monthly));
      expect(served).toEqual(rates.map((monthly) => Math.round(monthly * share * 100) / 100));
    }
  });

  it("the whole month's usage is what past invoices were made of (within 10%)", () => {
    for (const id of [ORG.acme, ORG.fieldworks, ORG.orbital]) {
      const monthly = monthlyNet(org(id).sources);
      // Not the archive invoice, nor charges other tests made.
      const past = org(id).invoices.filter((i) => i.id !== LARGE_INVOICE_ID && i.id.startsWith(`inv_${id.slice(4)}_`));
      for (const invoice of past) expect(Math.abs(invoice.amount / monthly - 1)).toBeLessThanOrEqual(0.101); // 10%, and the cent it is rounded to
    }
  });

  it("no invoice, payment or payment failure is dated after now", () => {
    const now = testClock().getTime();
    for (const o of sandbox.state.orgs.values()) {
      for (const i of o.invoices) {
        for (const at of [i.date, i.paidDate, i.failureAt]) if (at) expect(at.getTime(), `${o.id} ${i.id}`).toBeLessThanOrEqual(now);
      }
    }
  });
});

it("builds the same data twice (deterministic)", () => {
  const now = new Date("2026-11-15T00:00:00Z");
  expect(JSON.stringify([...createSandboxState(now).orgs.values()])).toBe(JSON.stringify([...createSandboxState(now).orgs.values()]));
});
