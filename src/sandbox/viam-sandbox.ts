// The embedded sandbox: a real Viam app server on loopback speaking gRPC-web, with
// proto.rpc.v1.AuthService/Authenticate, all 11 BillingService RPCs over demo data, and
// AppService/ListOrganizations (what @viamrobotics/sdk's app client calls to list orgs).
// The MCP server talks to it through the very same @viamrobotics/sdk path as to Viam.
// It never writes to stdout: in the MCP server's process, stdout is the JSON-RPC channel.
import { randomBytes, randomUUID } from "node:crypto";
import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer as createTlsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { MethodKind, Timestamp } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import type { ConnectRouter, HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { appApi } from "@viamrobotics/sdk";
import { AuthService, BillingService, PaymentMethodType } from "../viam/proto.js";
import { accrueUsage, createSandboxState, resellerCustomers, currentPeriodOf, invoicePdf, legacyUsage, orgSubtotal, outstandingBalance, sourceTotals } from "./data.js";
import type { SandboxInvoice, SandboxOrg, SandboxState } from "./data.js";
import { pdfChunks } from "./pdf.js";
import { systemClock } from "../core/clock.js";
import type { Clock } from "../core/clock.js";

export type { SandboxState } from "./data.js";

export interface ViamSandbox {
  /** e.g. "http://127.0.0.1:43125" */
  url: string;
  /** The key id (auth entity) the sandbox accepts. */
  apiKeyId: string;
  apiKey: string;
  /** RPC name (e.g. "ChargeOrganization") -> times it reached a handler after authentication; "Authenticate" counts successful logins. */
  calls: Map<string, number>;
  /** RPC name (Authenticate included) -> handlers that saw their ctx.signal abort while still working (caller cancelled, deadline passed). */
  aborted: Map<string, number>;
  /** RPC name -> the deadline (ms left) the last such call arrived with; undefined: it carried none. */
  deadlines: Map<string, number | undefined>;
  /** Every access token issued so far (for tests that check no token ever leaks). */
  readonly issuedTokens: readonly string[];
  faults: SandboxFaults;
  /** The mutable data, so tests can inspect side effects. */
  state: SandboxState;
  /** The orgs the key is a member of, in ListOrganizations order (StartOptions.visibleOrgIds). */
  visibleOrgIds: readonly string[];
  close(): Promise<void>;
}

export interface SandboxFaults {
  /** Every billing RPC waits this long before answering (stops when the caller gives up). */
  delayMs: number;
  /** Authenticate waits this long before answering (stops when the caller gives up). */
  authDelayMs: number;
  /** The next N Authenticate calls fail with UNAVAILABLE. */
  authUnavailableNext: number;
  /** GetInvoicePdf waits this long before each chunk (stops when the caller gives up). */
  pdfChunkDelayMs: number;
  /** The next N billing RPCs fail with UNAVAILABLE. */
  unavailableNext: number;
  /** The next N billing RPCs fail with RESOURCE_EXHAUSTED. */
  resourceExhaustedNext: number;
  /** Every token issued so far becomes invalid (UNAUTHENTICATED "access token expired"). */
  expireTokens(): void;
  /** GetInvoicePdf sends this many chunks, then fails with INTERNAL (a broken stream). */
  cutPdfStreamAfterChunks: number | null;
  /** GetInvoicePdf's connection is dropped once its response body carried this many bytes: no trailer, no end of body (a cut network). */
  dropPdfConnectionAfterBytes: number | null;
  /** GetInvoicePdf is answered with this HTTP status and an HTML page, as a proxy in front of Viam might. */
  pdfHttpStatus: number | null;
  /**
   * The next N billing RPCs fail (PERMISSION_DENIED) with a message quoting the bearer token
   * they came with, the API key and its id, in every position a careless upstream might: bare,
   * in JSON, as a parameter, upper-cased, and cut short at the end.
   */
  quoteSecretsNext: number;
  /** GetInvoicePdf is answered with a malformed HTTP status line quoting the bearer token (cut by the reader's 60-character excerpt). */
  pdfStatusLineQuotesToken: boolean;
  /** ListOrganizations waits this long before answering (the billing faults above do not apply to it). */
  listOrganizationsDelayMs: number;
  /** The next N ListOrganizations calls fail with INTERNAL. */
  listOrganizationsFailNext: number;
  reset(): void;
}

export interface StartOptions {
  host?: string;
  port?: number;
  /** Serve HTTPS with this key and certificate (PEM) instead of plain HTTP, as Viam does. */
  tls?: { key: string; cert: string };
  apiKeyId?: string;
  apiKey?: string;
  /** "Now" for the demo data and everything the sandbox dates; the system clock by default. */
  clock?: Clock;
  /**
   * The orgs the key is a member of: ListOrganizations lists these, and billing RPCs on any
   * other org are refused (PERMISSION_DENIED). Default: every demo org, org-restricted
   * included (a member, not an owner: it is listed, and its billing RPCs are refused).
   */
  visibleOrgIds?: readonly string[];
  /** Add this many reseller customer orgs (resellerCustomers in data.ts), visible to the key. */
  resellerCustomers?: number;
}

type Methods = typeof BillingService.methods;

// AppService/ListOrganizations, what the SDK's app client calls to list organizations. The SDK
// exports its generated messages for it, not the service descriptor: this is that one method.
const AppService = {
  typeName: "viam.app.v1.AppService",
  methods: {
    listOrganizations: { name: "ListOrganizations", I: appApi.ListOrganizationsRequest, O: appApi.ListOrganizationsResponse, kind: MethodKind.Unary },
  },
} as const;

const ts = (d: Date | undefined) => (d ? Timestamp.fromDate(d) : undefined);
const fail = (code: Code, message: string): never => {
  throw new ConnectError(message, code);
};
const DAY = 86_400_000;

export async function startViamSandbox(options: StartOptions = {}): Promise<ViamSandbox> {
  // Shaped like Viam's keys: a UUID key id and a 32-character secret.
  const apiKeyId = options.apiKeyId ?? randomUUID();
  const apiKey = options.apiKey ?? randomUUID().replace(/-/g, "");
  const clock = options.clock ?? systemClock;
  const state = createSandboxState(clock());
  for (const customer of resellerCustomers(options.resellerCustomers ?? 0, clock())) state.orgs.set(customer.id, customer);
  const visibleOrgIds = [...(options.visibleOrgIds ?? state.orgs.keys())];
  const unknownOrg = visibleOrgIds.find((id) => !state.orgs.has(id));
  if (unknownOrg) throw new Error(`visibleOrgIds: ${JSON.stringify(unknownOrg)} is not a sandbox org`);
  const visible = new Set(visibleOrgIds);
  const calls = new Map<string, number>();
  const count = (rpc: string) => calls.set(rpc, (calls.get(rpc) ?? 0) + 1);
  const aborted = new Map<string, number>();
  const deadlines = new Map<string, number | undefined>();
  const issuedTokens: string[] = [];
  /** Wait `ms`; if the caller goes away meanwhile, count it for `rpc` and fail as a server would. */
  const wait = (rpc: string, ms: number, signal: AbortSignal) =>
    abortableDelay(ms, signal, () => aborted.set(rpc, (aborted.get(rpc) ?? 0) + 1));
  const liveTokens = new Set<string>();
  const expiredTokens = new Set<string>();
  const noFaults = (): Omit<SandboxFaults, "expireTokens" | "reset"> => ({
    delayMs: 0,
    authDelayMs: 0,
    authUnavailableNext: 0,
    pdfChunkDelayMs: 0,
    unavailableNext: 0,
    resourceExhaustedNext: 0,
    cutPdfStreamAfterChunks: null,
    dropPdfConnectionAfterBytes: null,
    pdfHttpStatus: null,
    quoteSecretsNext: 0,
    pdfStatusLineQuotesToken: false,
    listOrganizationsDelayMs: 0,
    listOrganizationsFailNext: 0,
  });
  const faults: SandboxFaults = {
    ...noFaults(),
    expireTokens() {
      for (const t of liveTokens) expiredTokens.add(t);
      liveTokens.clear();
    },
    reset() {
      Object.assign(faults, noFaults());
    },
  };

  /** Every RPC but Authenticate: a live bearer token, then the call is counted. */
  function authenticated(rpc: string, ctx: HandlerContext): void {
    const token =
      /^Bearer\s+(\S+)$/i.exec(ctx.requestHeader.get("authorization") ?? "")?.[1] ?? fail(Code.Unauthenticated, "missing authorization: Bearer token");
    if (!liveTokens.has(token)) fail(Code.Unauthenticated, expiredTokens.has(token) ? "access token expired" : "invalid access token");
    count(rpc);
    if (faults.quoteSecretsNext > 0) {
      faults.quoteSecretsNext--;
      fail(
        Code.PermissionDenied,
        `token ${token} is not valid; {"token":"${token}","key_id":"${apiKeyId}","key":"${apiKey}"}; session=${token}; AUTH ${token.toUpperCase()} KEY ${apiKey.toUpperCase()}; cut: ${token.slice(0, 20)}`,
      );
    }
    deadlines.set(rpc, ctx.timeoutMs());
  }

  /** What every billing RPC goes through first: authentication, call counting, faults. */
  async function enter(rpc: string, ctx: HandlerContext): Promise<void> {
    authenticated(rpc, ctx);
    if (faults.delayMs > 0) await wait(rpc, faults.delayMs, ctx.signal);
    if (faults.unavailableNext > 0) {
      faults.unavailableNext--;
      fail(Code.Unavailable, "sandbox: injected outage");
    }
    if (faults.resourceExhaustedNext > 0) {
      faults.resourceExhaustedNext--;
      fail(Code.ResourceExhausted, "sandbox: injected rate limit");
    }
  }

  const required = (field: string, value: string): string => (value.trim() ? value : fail(Code.InvalidArgument, `${field} is required`));

  /** An org the key exists for; `owned` also requires the key to be an owner of it. */
  function org(field: string, id: string, owned = true): SandboxOrg {
    const found = state.orgs.get(required(field, id)) ?? fail(Code.NotFound, `organization ${JSON.stringify(id)} not found`);
    if (!visible.has(found.id)) fail(Code.PermissionDenied, `this API key is not a member of organization ${JSON.stringify(id)}`);
    if (owned && found.restricted) fail(Code.PermissionDenied, `this API key is not an owner of organization ${JSON.stringify(id)}`);
    return found;
  }

  function amount(field: string, value: number, positive: boolean): number {
    if (!Number.isFinite(value) || value < 0) fail(Code.InvalidArgument, `${field} must be a finite, non-negative amount in USD`);
    if (positive && value <= 0) fail(Code.InvalidArgument, `${field} must be greater than zero`);
    return value;
  }

  /** A charge becomes an invoice: paid at once on a card, otherwise outstanding for 30 days. */
  function charge(target: SandboxOrg, total: number, extra: Partial<SandboxInvoice>): string {
    const now = clock();
    const paid = target.payment.type === PaymentMethodType.CARD;
    const invoice: SandboxInvoice = {
      id: `inv_sbx_${String(state.nextInvoiceNumber++).padStart(5, "0")}`,
      date: now,
      amount: Math.round(total * 100) / 100,
      status: paid ? "paid" : "outstanding",
      dueDate: paid ? now : new Date(now.getTime() + 30 * DAY),
      paidDate: paid ? now : undefined,
      ...extra,
    };
    target.invoices.unshift(invoice);
    return invoice.id;
  }

  const handlers: ServiceImpl<typeof BillingService> = {
    getCurrentMonthUsage({ orgId }) {
      const o = org("org_id", orgId);
      const now = clock();
      accrueUsage(o, now);
      const period = currentPeriodOf(now);
      return {
        startDate: ts(period.start),
        endDate: ts(period.end),
        ...legacyUsage(o),
        subtotal: orgSubtotal(o),
        resourceUsageCostsBySource: o.sources.map((s) => ({
          sourceType: s.sourceType,
          tierName: s.tierName,
          resourceUsageCosts: { usageCosts: s.costs.map((c) => ({ resourceType: c.resourceType, cost: c.cost })), ...sourceTotals(s) },
        })),
      };
    },
    getOrgBillingInformation({ orgId }) {
      const o = org("org_id", orgId);
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
                verificationInfo: p.verification && {
                  arrivalDate: BigInt(Math.floor(p.verification.arrivalDate.getTime() / 1000)),
                  hostedVerificationPageUrl: p.verification.url,
                },
              }
            : undefined,
      };
    },
    getInvoicesSummary({ orgId }) {
      const o = org("org_id", orgId);
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
    async *getInvoicePdf({ id, orgId }, ctx) {
      const o = org("org_id", orgId);
      const invoice = o.invoices.find((i) => i.id === required("id", id)) ?? fail(Code.NotFound, `invoice ${JSON.stringify(id)} not found in organization ${JSON.stringify(orgId)}`);
      let sent = 0;
      // One 64 KiB chunk at a time; connect-node awaits the socket's drain between writes.
      for (const chunk of pdfChunks(invoicePdf(o, invoice))) {
        if (faults.pdfChunkDelayMs > 0) await wait("GetInvoicePdf", faults.pdfChunkDelayMs, ctx.signal);
        if (ctx.signal.aborted) return;
        const cut = faults.cutPdfStreamAfterChunks;
        if (cut !== null && sent >= cut) fail(Code.Internal, "sandbox: injected stream failure");
        sent++;
        yield { chunk };
      }
    },
    getAvailableBillingTiers() {
      return { tiers: [...state.tiers] };
    },
    getLocationBillingOrganization({ locationId }) {
      const billingOrganizationId = state.locations.get(required("location_id", locationId));
      return { billingOrganizationId: billingOrganizationId ?? fail(Code.NotFound, `location ${JSON.stringify(locationId)} not found`) };
    },
    sendPaymentRequiredEmail({ customerOrgId, billingOwnerOrgId }) {
      // The customer is billed by the owner's org; only the owner org needs this key as owner.
      org("customer_org_id", customerOrgId, false);
      org("billing_owner_org_id", billingOwnerOrgId);
      state.emails.push({ customerOrgId, billingOwnerOrgId, at: clock() });
      return {};
    },
    updateOrganizationBillingTier({ organizationId, billingTier }) {
      const o = org("organization_id", organizationId);
      if (!state.tiers.includes(required("billing_tier", billingTier))) {
        fail(Code.InvalidArgument, `billing_tier ${JSON.stringify(billingTier)} is not one of the available tiers: ${state.tiers.join(", ")}`);
      }
      o.tier = billingTier;
      return {};
    },
    updateLocationBillingOrganization({ locationId, billingOrganizationId }) {
      if (!state.locations.has(required("location_id", locationId))) fail(Code.NotFound, `location ${JSON.stringify(locationId)} not found`);
      org("billing_organization_id", billingOrganizationId);
      state.locations.set(locationId, billingOrganizationId);
      return {};
    },
    chargeOrganization(r) {
      const target = org("org_id_to_charge", r.orgIdToCharge);
      if (r.orgIdForBranding !== undefined) org("org_id_for_branding", r.orgIdForBranding);
      const subtotal = amount("subtotal", r.subtotal, true);
      const tax = amount("tax", r.tax, false);
      const invoiceId = charge(target, subtotal + tax, {
        description: r.description,
        subtotal,
        tax,
        brandingOrgId: r.orgIdForBranding,
        emailSent: !r.disableConfirmationEmail,
      });
      return { invoiceId };
    },
    createInvoiceAndChargeImmediately(r) {
      const target = org("org_id_to_charge", r.orgIdToCharge);
      if (r.orgIdForBranding !== undefined) org("org_id_for_branding", r.orgIdForBranding);
      const total = amount("amount", r.amount, true);
      return { invoiceId: charge(target, total, { description: r.description, brandingOrgId: r.orgIdForBranding, emailSent: !r.disableEmail }) };
    },
  };

  /** Put enter() in front of every handler. */
  function guarded(): ServiceImpl<typeof BillingService> {
    const impl: Record<string, unknown> = {};
    for (const [key, method] of Object.entries(BillingService.methods)) {
      const handler = handlers[key as keyof Methods] as (req: unknown, ctx: HandlerContext) => unknown;
      impl[key] =
        method.kind === MethodKind.ServerStreaming
          ? async function* (req: unknown, ctx: HandlerContext) {
              await enter(method.name, ctx);
              yield* handler(req, ctx) as AsyncIterable<unknown>;
            }
          : async (req: unknown, ctx: HandlerContext) => {
              await enter(method.name, ctx);
              return handler(req, ctx);
            };
    }
    return impl as ServiceImpl<typeof BillingService>;
  }

  const routes = (router: ConnectRouter) => {
    router.service(AuthService, {
      async authenticate(req, ctx) {
        deadlines.set("Authenticate", ctx.timeoutMs());
        if (faults.authDelayMs > 0) await wait("Authenticate", faults.authDelayMs, ctx.signal);
        if (faults.authUnavailableNext > 0) {
          faults.authUnavailableNext--;
          fail(Code.Unavailable, "sandbox: injected login outage");
        }
        const { entity, credentials } = req;
        if (entity !== apiKeyId || credentials?.type !== "api-key" || credentials.payload !== apiKey) {
          fail(Code.Unauthenticated, "invalid API key");
        }
        count("Authenticate");
        const accessToken = randomBytes(32).toString("base64url");
        liveTokens.add(accessToken);
        issuedTokens.push(accessToken);
        return { accessToken };
      },
    });
    router.service(BillingService, guarded());
    router.service(AppService, {
      async listOrganizations(_req, ctx) {
        authenticated("ListOrganizations", ctx);
        if (faults.listOrganizationsDelayMs > 0) await wait("ListOrganizations", faults.listOrganizationsDelayMs, ctx.signal);
        if (faults.listOrganizationsFailNext > 0) {
          faults.listOrganizationsFailNext--;
          fail(Code.Internal, "sandbox: injected ListOrganizations failure");
        }
        return { organizations: visibleOrgIds.map((id) => ({ id, name: state.orgs.get(id)!.name, defaultRegion: "us-east-1" })) };
      },
    });
  };

  /** Faults below gRPC, on GetInvoicePdf's HTTP exchange; true: the request was answered here. */
  function httpFaults(req: IncomingMessage, res: ServerResponse): boolean {
    if (!req.url?.endsWith("/GetInvoicePdf")) return false;
    if (faults.pdfStatusLineQuotesToken) {
      const token = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? "")?.[1] ?? "";
      res.socket?.end(`XHTTP/1.1 502 Bad Gateway; session=${token}\r\n\r\n`);
      return true;
    }
    if (faults.pdfHttpStatus !== null) {
      res.writeHead(faults.pdfHttpStatus, { "content-type": "text/html" }).end("<html><body>Bad gateway</body></html>");
      return true;
    }
    const dropAfter = faults.dropPdfConnectionAfterBytes;
    if (dropAfter !== null) {
      let sent = 0;
      const write = res.write.bind(res) as (chunk: Uint8Array | string, ...rest: unknown[]) => boolean;
      res.write = ((chunk: Uint8Array | string, ...rest: unknown[]) => {
        sent += typeof chunk === "string" ? Buffer.byteLength(chunk) : chunk.byteLength;
        const flushed = write(chunk, ...rest);
        if (sent >= dropAfter) res.socket?.destroy();
        return flushed;
      }) as ServerResponse["write"];
    }
    return false;
  }

  const handle = connectNodeAdapter({ routes, grpcWeb: true, connect: false, grpc: false });
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    if (!httpFaults(req, res)) handle(req, res);
  };
  const server = options.tls ? createTlsServer(options.tls, listener) : createServer(listener);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { address, port } = server.address() as AddressInfo;
  return {
    url: `${options.tls ? "https" : "http"}://${address.includes(":") ? `[${address}]` : address}:${port}`,
    apiKeyId,
    apiKey,
    calls,
    aborted,
    deadlines,
    issuedTokens,
    faults,
    state,
    visibleOrgIds,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive sockets and running streams would otherwise hold close() open.
        server.closeAllConnections();
      }),
  };
}

/** Wait `ms`, but give up as soon as the call is cancelled or its deadline passes. */
function abortableDelay(ms: number, signal: AbortSignal, onGiveUp: () => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      onGiveUp();
      // As a server would answer: DEADLINE_EXCEEDED when the call's own deadline passed
      // (connect-node aborts ctx.signal with that ConnectError), CANCELED when the caller left.
      // Under load this answer can reach the caller before its own timer fires.
      const reason: unknown = signal.reason;
      reject(reason instanceof ConnectError && reason.code === Code.DeadlineExceeded ? reason : new ConnectError("the caller gave up", Code.Canceled));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
  });
}
