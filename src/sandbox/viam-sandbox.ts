// The embedded sandbox: a real Viam app server on loopback speaking gRPC-web, with
// proto.rpc.v1.AuthService/Authenticate and all 11 BillingService RPCs over demo data.
// The MCP server talks to it through the very same @viamrobotics/sdk path as to Viam.
import { randomBytes, randomUUID } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Timestamp } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import type { ConnectRouter, HandlerContext } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { AuthService, BillingService } from "../viam-proto.js";
import { createSandboxState, currentPeriodOf, invoicePdfLines, orgSubtotal, outstandingBalance, sourceTotals } from "./data.js";
import type { SandboxInvoice, SandboxOrg, SandboxState } from "./data.js";
import { invoicePdfParts, pdfChunks } from "./pdf.js";

export type { SandboxState } from "./data.js";

export interface SandboxFaults {
  /** Every billing RPC waits this long before answering (stops if the caller gives up). */
  delayMs: number;
  /** Authenticate waits this long before answering (stops if the caller gives up). */
  authDelayMs: number;
  /** GetInvoicePdf waits this long before each chunk (stops if the caller gives up). */
  pdfChunkDelayMs: number;
  /** The next N billing RPCs fail with UNAVAILABLE. */
  unavailableNext: number;
  /** The next N billing RPCs fail with RESOURCE_EXHAUSTED. */
  resourceExhaustedNext: number;
  /** Every token issued so far becomes invalid (UNAUTHENTICATED "token expired"). */
  expireTokens(): void;
  /** GetInvoicePdf sends this many chunks, then fails (a broken stream). */
  cutPdfStreamAfterChunks: number | null;
  reset(): void;
}

export interface ViamSandbox {
  url: string;
  apiKeyId: string;
  apiKey: string;
  /** RPC name -> times it reached a handler (after authentication). */
  calls: Map<string, number>;
  /** RPC name (Authenticate included) -> handlers that saw their ctx.signal abort while still working (caller cancelled, deadline passed). */
  aborted: Map<string, number>;
  /** RPC name -> the deadline (ms left) the last such call arrived with; undefined: it carried none. */
  deadlines: Map<string, number | undefined>;
  /** How many Authenticate requests reached the handler (rejected ones included). */
  readonly authentications: number;
  /** Every access token issued so far (for tests that check no token ever leaks). */
  readonly issuedTokens: readonly string[];
  faults: SandboxFaults;
  state: SandboxState;
  close(): Promise<void>;
}

export interface StartOptions {
  host?: string;
  port?: number;
  apiKeyId?: string;
  apiKey?: string;
  now?: Date;
}

const ts = (d: Date | undefined) => (d ? Timestamp.fromDate(d) : undefined);

export async function startViamSandbox(options: StartOptions = {}): Promise<ViamSandbox> {
  const apiKeyId = options.apiKeyId ?? `sandbox-key-${randomUUID()}`;
  const apiKey = options.apiKey ?? randomBytes(24).toString("base64url");
  const state = createSandboxState(options.now);
  const calls = new Map<string, number>();
  const aborted = new Map<string, number>();
  const deadlines = new Map<string, number | undefined>();
  const issuedTokens: string[] = [];
  let authentications = 0;
  /** Wait `ms`; if the caller goes away meanwhile, count it for `rpc` and fail like a server would. */
  const wait = (rpc: string, ms: number, signal: AbortSignal) =>
    abortableDelay(ms, signal, () => aborted.set(rpc, (aborted.get(rpc) ?? 0) + 1));
  const liveTokens = new Set<string>();
  const expiredTokens = new Set<string>();
  const faults: SandboxFaults = {
    delayMs: 0,
    authDelayMs: 0,
    pdfChunkDelayMs: 0,
    unavailableNext: 0,
    resourceExhaustedNext: 0,
    cutPdfStreamAfterChunks: null,
    expireTokens() {
      for (const t of liveTokens) expiredTokens.add(t);
      liveTokens.clear();
    },
    reset() {
      Object.assign(faults, { delayMs: 0, authDelayMs: 0, pdfChunkDelayMs: 0, unavailableNext: 0, resourceExhaustedNext: 0, cutPdfStreamAfterChunks: null });
    },
  };

  /** Authentication, call counting and faults: what every billing RPC goes through first. */
  async function enter(rpc: string, ctx: HandlerContext): Promise<void> {
    const token = /^Bearer (.+)$/.exec(ctx.requestHeader.get("authorization") ?? "")?.[1];
    if (!token || !liveTokens.has(token)) {
      throw new ConnectError(token && expiredTokens.has(token) ? "access token expired" : "missing or invalid access token", Code.Unauthenticated);
    }
    calls.set(rpc, (calls.get(rpc) ?? 0) + 1);
    deadlines.set(rpc, ctx.timeoutMs());
    if (faults.delayMs > 0) await wait(rpc, faults.delayMs, ctx.signal);
    if (faults.unavailableNext > 0) {
      faults.unavailableNext--;
      throw new ConnectError("sandbox: injected outage", Code.Unavailable);
    }
    if (faults.resourceExhaustedNext > 0) {
      faults.resourceExhaustedNext--;
      throw new ConnectError("sandbox: injected rate limit", Code.ResourceExhausted);
    }
  }

  function required(field: string, value: string): string {
    if (!value.trim()) throw new ConnectError(`${field} is required`, Code.InvalidArgument);
    return value;
  }

  function org(field: string, id: string): SandboxOrg {
    const found = state.orgs.get(required(field, id));
    if (!found) throw new ConnectError(`organization ${id} not found`, Code.NotFound);
    if (found.restricted) throw new ConnectError(`caller is not an owner of organization ${id}`, Code.PermissionDenied);
    return found;
  }

  function newInvoice(target: SandboxOrg, amount: number): SandboxInvoice {
    const now = new Date();
    const invoice: SandboxInvoice = { id: `inv_sbx_${String(state.nextInvoiceNumber++).padStart(5, "0")}`, date: now, amount: Math.round(amount * 100) / 100, status: "paid", dueDate: now, paidDate: now };
    target.invoices.unshift(invoice);
    return invoice;
  }

  function nonNegative(field: string, value: number): number {
    if (!Number.isFinite(value) || value < 0) throw new ConnectError(`${field} must be a finite, non-negative amount`, Code.InvalidArgument);
    return value;
  }

  const routes = (router: ConnectRouter) => {
    router.service(AuthService, {
      async authenticate(req, ctx) {
        authentications++;
        deadlines.set("Authenticate", ctx.timeoutMs());
        if (faults.authDelayMs > 0) await wait("Authenticate", faults.authDelayMs, ctx.signal);
        const { entity, credentials } = req as unknown as { entity: string; credentials?: { type: string; payload: string } };
        if (entity !== apiKeyId || credentials?.type !== "api-key" || credentials.payload !== apiKey) {
          throw new ConnectError("invalid API key", Code.Unauthenticated);
        }
        const accessToken = randomBytes(32).toString("base64url");
        liveTokens.add(accessToken);
        issuedTokens.push(accessToken);
        return { accessToken };
      },
    });
    router.service(BillingService, {
      async getCurrentMonthUsage(req, ctx) {
        await enter("GetCurrentMonthUsage", ctx);
        const o = org("org_id", (req as unknown as { orgId: string }).orgId);
        const period = currentPeriodOf(options.now);
        const byType = (type: number) => o.sources.flatMap((s) => s.costs).filter((c) => c.resourceType === type).reduce((s, c) => s + c.cost, 0);
        const without = o.sources.reduce((s, src) => s + sourceTotals(src).totalWithoutDiscount, 0);
        const discount = o.sources.reduce((s, src) => s + src.discount, 0);
        return {
          startDate: ts(period.start),
          endDate: ts(period.end),
          remoteControlUsageCost: byType(3),
          standardComputeUsageCost: byType(4),
          perMachineUsageCost: byType(8),
          binaryDataCloudStorageUsageCost: byType(6),
          cloudStorageUsageCost: byType(5),
          discountAmount: discount,
          totalUsageWithDiscount: orgSubtotal(o),
          totalUsageWithoutDiscount: Math.round(without * 100) / 100,
          subtotal: orgSubtotal(o),
          resourceUsageCostsBySource: o.sources.map((s) => ({
            sourceType: s.sourceType,
            tierName: s.tierName,
            resourceUsageCosts: { usageCosts: s.costs, ...sourceTotals(s) },
          })),
        };
      },
      async getOrgBillingInformation(req, ctx) {
        await enter("GetOrgBillingInformation", ctx);
        const o = org("org_id", (req as unknown as { orgId: string }).orgId);
        const p = o.payment;
        return {
          type: p.type,
          billingEmail: o.billingEmail,
          billingTier: o.tier,
          method: p.type === 1 ? { brand: p.brand, lastFourDigits: p.lastFour } : undefined,
          methodUsBankAccount:
            p.type === 2
              ? {
                  bankName: p.bankName,
                  lastFourDigitsAccountNumber: p.lastFour,
                  routingNumber: p.routingNumber,
                  accountType: p.accountType,
                  verificationInfo: p.verification ? { arrivalDate: BigInt(Math.floor(p.verification.arrivalDate.getTime() / 1000)), hostedVerificationPageUrl: p.verification.url } : undefined,
                }
              : undefined,
        };
      },
      async getInvoicesSummary(req, ctx) {
        await enter("GetInvoicesSummary", ctx);
        const o = org("org_id", (req as unknown as { orgId: string }).orgId);
        return {
          outstandingBalance: outstandingBalance(o),
          invoices: o.invoices.map((i) => ({
            id: i.id,
            invoiceDate: ts(i.date),
            invoiceAmount: i.amount,
            status: i.status,
            dueDate: ts(i.dueDate),
            paidDate: ts(i.paidDate),
            lastPaymentFailureReason: i.failureReason ?? "",
            lastPaymentFailureAt: ts(i.failureAt),
          })),
        };
      },
      async *getInvoicePdf(req, ctx) {
        await enter("GetInvoicePdf", ctx);
        const { id, orgId } = req as unknown as { id: string; orgId: string };
        const o = org("org_id", orgId);
        const invoice = o.invoices.find((i) => i.id === required("id", id));
        if (!invoice) throw new ConnectError(`invoice ${id} not found in organization ${orgId}`, Code.NotFound);
        let sent = 0;
        for (const chunk of pdfChunks(invoicePdfParts(invoicePdfLines(o, invoice), invoice.pdfPadding ?? 0))) {
          if (faults.cutPdfStreamAfterChunks !== null && sent >= faults.cutPdfStreamAfterChunks) {
            throw new ConnectError("sandbox: injected stream failure", Code.Internal);
          }
          if (faults.pdfChunkDelayMs > 0) await wait("GetInvoicePdf", faults.pdfChunkDelayMs, ctx.signal);
          if (ctx.signal.aborted) return;
          sent++;
          yield { chunk };
        }
      },
      async getAvailableBillingTiers(_req, ctx) {
        await enter("GetAvailableBillingTiers", ctx);
        return { tiers: state.tiers };
      },
      async getLocationBillingOrganization(req, ctx) {
        await enter("GetLocationBillingOrganization", ctx);
        const locationId = required("location_id", (req as unknown as { locationId: string }).locationId);
        const billingOrganizationId = state.locations.get(locationId);
        if (!billingOrganizationId) throw new ConnectError(`location ${locationId} not found`, Code.NotFound);
        return { billingOrganizationId };
      },
      async sendPaymentRequiredEmail(req, ctx) {
        await enter("SendPaymentRequiredEmail", ctx);
        const { customerOrgId, billingOwnerOrgId } = req as unknown as { customerOrgId: string; billingOwnerOrgId: string };
        org("customer_org_id", customerOrgId);
        org("billing_owner_org_id", billingOwnerOrgId);
        state.emails.push({ customerOrgId, billingOwnerOrgId, at: new Date() });
        return {};
      },
      async updateOrganizationBillingTier(req, ctx) {
        await enter("UpdateOrganizationBillingTier", ctx);
        const { organizationId, billingTier } = req as unknown as { organizationId: string; billingTier: string };
        const o = org("organization_id", organizationId);
        if (!state.tiers.includes(required("billing_tier", billingTier))) {
          throw new ConnectError(`unknown billing tier ${billingTier}; available: ${state.tiers.join(", ")}`, Code.InvalidArgument);
        }
        o.tier = billingTier;
        return {};
      },
      async updateLocationBillingOrganization(req, ctx) {
        await enter("UpdateLocationBillingOrganization", ctx);
        const { locationId, billingOrganizationId } = req as unknown as { locationId: string; billingOrganizationId: string };
        if (!state.locations.has(required("location_id", locationId))) throw new ConnectError(`location ${locationId} not found`, Code.NotFound);
        org("billing_organization_id", billingOrganizationId);
        state.locations.set(locationId, billingOrganizationId);
        return {};
      },
      async chargeOrganization(req, ctx) {
        await enter("ChargeOrganization", ctx);
        const r = req as unknown as { orgIdToCharge: string; subtotal: number; tax: number; description?: string; orgIdForBranding?: string; disableConfirmationEmail: boolean };
        const target = org("org_id_to_charge", r.orgIdToCharge);
        if (r.orgIdForBranding !== undefined) org("org_id_for_branding", r.orgIdForBranding);
        if (nonNegative("subtotal", r.subtotal) <= 0) throw new ConnectError("subtotal must be greater than zero", Code.InvalidArgument);
        nonNegative("tax", r.tax);
        const invoice = Object.assign(newInvoice(target, r.subtotal + r.tax), {
          description: r.description,
          subtotal: r.subtotal,
          tax: r.tax,
          brandingOrgId: r.orgIdForBranding,
          emailSent: !r.disableConfirmationEmail,
        });
        return { invoiceId: invoice.id };
      },
      async createInvoiceAndChargeImmediately(req, ctx) {
        await enter("CreateInvoiceAndChargeImmediately", ctx);
        const r = req as unknown as { orgIdToCharge: string; amount: number; description?: string; orgIdForBranding?: string; disableEmail: boolean };
        const target = org("org_id_to_charge", r.orgIdToCharge);
        if (r.orgIdForBranding !== undefined) org("org_id_for_branding", r.orgIdForBranding);
        if (nonNegative("amount", r.amount) <= 0) throw new ConnectError("amount must be greater than zero", Code.InvalidArgument);
        const invoice = Object.assign(newInvoice(target, r.amount), { description: r.description, brandingOrgId: r.orgIdForBranding, emailSent: !r.disableEmail });
        return { invoiceId: invoice.id };
      },
    });
  };

  const server = createServer(connectNodeAdapter({ routes, grpcWeb: true, connect: false, grpc: false }));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  return {
    url: `http://${address}:${port}`,
    apiKeyId,
    apiKey,
    calls,
    aborted,
    deadlines,
    get authentications() {
      return authentications;
    },
    issuedTokens,
    faults,
    state,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function abortableDelay(ms: number, signal: AbortSignal, onAbort: () => void): Promise<void> {
  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = () => {
      clearTimeout(timer);
      onAbort();
      reject(new ConnectError("caller gave up", Code.Canceled));
    };
    if (signal.aborted) return gaveUp();
    timer = setTimeout(() => {
      signal.removeEventListener("abort", gaveUp);
      resolve();
    }, ms);
    signal.addEventListener("abort", gaveUp, { once: true });
  });
}
