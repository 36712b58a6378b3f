// Issue 6: never hang, never crash, never double anything. Deadlines, cancellation, retries,
// re-authentication, concurrency, shutdown and secrets, through the real MCP client against
// the sandbox (faults injected there, effects observed there): the server in-process from
// source, except for shutdown and the secrets scan, which need the built server's process
// (signals, exit codes, every byte it writes).
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CallToolResult } from "@modelcontextprotocol/client";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/core/config.js";
import { ToolError } from "../src/core/errors.js";
import type { LogLevel } from "../src/core/logger.js";
import { LARGE_INVOICE_ID, LOCATIONS, ORG } from "../src/sandbox/data.js";
import { ViamConnection } from "../src/viam/connection.js";
import { liveEnv, startViamSandbox, textOf } from "./harness.js";
import type { ViamSandbox } from "./harness.js";
import { STACK_TRACE, startServerProcess } from "./process-harness.js";
import type { ServerProcess } from "./process-harness.js";
import { startInProcess } from "./in-process.js";
import type { InProcessServer } from "./in-process.js";

type Session = Pick<InProcessServer, "client" | "home" | "stderr">;
let sandbox: ViamSandbox;
let server: InProcessServer;
const started: { close(): Promise<void> }[] = [];

/** A fresh server in this process (its own login, org directory and calls in flight). */
async function freshServer(extra: Record<string, string> = {}, args: string[] = []): Promise<InProcessServer> {
  const s = await startInProcess(liveEnv(sandbox, { VIAM_ORG_ID: ORG.acme, ...extra }), args);
  started.push(s);
  return s;
}
/** The built server in a process of its own: for signals, exit codes and every byte it writes. */
async function spawnServer(extra: Record<string, string> = {}, args: string[] = []): Promise<ServerProcess> {
  const s = await startServerProcess(liveEnv(sandbox, { VIAM_ORG_ID: ORG.acme, ...extra }), args);
  started.push(s);
  return s;
}

beforeAll(async () => {
  sandbox = await startViamSandbox();
  server = await freshServer();
});
afterEach(() => sandbox.faults.reset());
afterAll(async () => {
  await Promise.all(started.map((s) => s.close()));
  await sandbox?.close();
});

async function call(s: Session, name: string, args: Record<string, unknown> = {}, signal?: AbortSignal): Promise<CallToolResult> {
  return await s.client.callTool({ name, arguments: args }, signal ? { signal } : undefined);
}
async function ok(s: Session, name: string, args: Record<string, unknown> = {}): Promise<CallToolResult> {
  const result = await call(s, name, args);
  expect(result.isError, textOf(result)).toBeFalsy();
  return result;
}
const count = (map: Map<string, number>, key: string) => map.get(key) ?? 0;
/** Successful Authenticate calls the sandbox has answered. */
const logins = () => count(sandbox.calls, "Authenticate");
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
async function until(condition: () => boolean, withinMs: number): Promise<boolean> {
  const end = Date.now() + withinMs;
  while (!condition()) {
    if (Date.now() > end) return false;
    await sleep(20);
  }
  return true;
}
const downloads = (s: Session) => join(s.home, "Downloads", "billing-mcp");
const filesIn = (dir: string) => (existsSync(dir) ? readdirSync(dir) : []);
const acmeInvoice = () => sandbox.state.orgs.get(ORG.acme)!.invoices[0]!.id;

describe("deadlines", () => {
  it("every RPC carries the call's timeout upstream, or the 30 s default", async () => {
    await ok(server, "viam_get_current_month_usage");
    const byDefault = sandbox.deadlines.get("GetCurrentMonthUsage")!;
    expect(byDefault).toBeGreaterThan(28_000);
    expect(byDefault).toBeLessThanOrEqual(30_000);
    await ok(server, "viam_get_current_month_usage", { timeout: 7 });
    const given = sandbox.deadlines.get("GetCurrentMonthUsage")!;
    expect(given).toBeGreaterThan(6_000);
    expect(given).toBeLessThanOrEqual(7_000);
  });

  it("past its deadline: a clear error in time, the upstream handler is told, and the server keeps serving", async () => {
    sandbox.faults.delayMs = 20_000; // only the deadline can end the call within the bound below
    const abortedBefore = count(sandbox.aborted, "GetInvoicesSummary");
    const t0 = Date.now();
    const result = await call(server, "viam_get_invoices_summary", { timeout: 0.5 });
    const elapsed = Date.now() - t0;
    expect(result.isError).toBe(true);
    expect(textOf(result)).toBe('Viam did not answer invoices of org "org-acme" within 0.5 s. Retry, or pass a larger timeout (seconds).');
    expect(elapsed).toBeGreaterThanOrEqual(450);
    expect(elapsed).toBeLessThan(5_000);
    expect(await until(() => count(sandbox.aborted, "GetInvoicesSummary") === abortedBefore + 1, 5_000)).toBe(true);
    sandbox.faults.delayMs = 0;
    await ok(server, "viam_get_available_billing_tiers");
  });

  it("authentication: a caller waits for the shared login only within its own deadline", async () => {
    const fresh = await freshServer();
    const authBefore = logins();
    sandbox.faults.authDelayMs = 5_000;
    const t0 = Date.now();
    const patient = call(fresh, "viam_get_available_billing_tiers", { timeout: 10 }).then((r) => ({ r, at: Date.now() - t0 }));
    const hasty = call(fresh, "viam_get_current_month_usage", { timeout: 0.4 }).then((r) => ({ r, at: Date.now() - t0 }));
    const [p, h] = await Promise.all([patient, hasty]);
    expect(h.r.isError).toBe(true);
    expect(textOf(h.r)).toMatch(/did not answer usage of org "org-acme" within 0.4 s/);
    expect(h.at).toBeLessThan(4_000); // long before the login ends
    expect(p.r.isError, textOf(p.r)).toBeFalsy();
    expect(p.at).toBeGreaterThanOrEqual(4_900);
    expect(logins() - authBefore).toBe(1);
  });

  it("authentication: the embedded sandbox (no credentials) logs in the same way", async () => {
    const embedded = await startServerProcess();
    started.push(embedded);
    const result = await call(embedded, "viam_get_available_billing_tiers", { timeout: 5 });
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(result.structuredContent).toMatchObject({ sandbox: true });
    expect(embedded.stderr()).toMatch(/authenticated to the embedded sandbox/);
    // The SDK built its transports through billing-mcp's factory (src/viam/transport.ts).
    expect(embedded.stderr() + server.stderr()).not.toMatch(/did not build its transport/);
  });

  it("the PDF stream honours the deadline mid-stream and leaves no partial file", async () => {
    sandbox.faults.pdfChunkDelayMs = 300; // the large invoice: three chunks in time, then the deadline
    const abortedBefore = count(sandbox.aborted, "GetInvoicePdf");
    const t0 = Date.now();
    const result = await call(server, "viam_get_invoice_pdf", { invoice_id: LARGE_INVOICE_ID, dest: "slow.pdf", timeout: 1 });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/did not answer PDF of invoice .* within 1 s/);
    expect(Date.now() - t0).toBeLessThan(5_000); // the whole stream would take minutes
    expect(await until(() => count(sandbox.aborted, "GetInvoicePdf") === abortedBefore + 1, 5_000)).toBe(true);
    expect(filesIn(downloads(server))).toEqual([]);
  });

  it("the PDF stream carries its deadline upstream (grpc-timeout) and honours it before the first byte", async () => {
    await ok(server, "viam_get_invoice_pdf", { invoice_id: acmeInvoice(), dest: "deadline.pdf", timeout: 7 });
    const given = sandbox.deadlines.get("GetInvoicePdf")!;
    expect(given).toBeGreaterThan(6_000);
    expect(given).toBeLessThanOrEqual(7_000);
    rmSync(join(downloads(server), "deadline.pdf"));

    sandbox.faults.delayMs = 20_000; // no response head at all until long after the deadline
    const abortedBefore = count(sandbox.aborted, "GetInvoicePdf");
    const t0 = Date.now();
    const result = await call(server, "viam_get_invoice_pdf", { invoice_id: acmeInvoice(), dest: "late.pdf", timeout: 0.5 });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/^Viam did not answer PDF of invoice .* within 0\.5 s\./);
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(await until(() => count(sandbox.aborted, "GetInvoicePdf") === abortedBefore + 1, 5_000)).toBe(true);
    expect(filesIn(downloads(server))).toEqual([]);
  });
});

describe("cancellation", () => {
  it("cancelling a call (notifications/cancelled) aborts the upstream RPC", async () => {
    sandbox.faults.delayMs = 10_000;
    const abortedBefore = count(sandbox.aborted, "GetOrgBillingInformation");
    const callsBefore = count(sandbox.calls, "GetOrgBillingInformation");
    const controller = new AbortController();
    const t0 = Date.now();
    const pending = call(server, "viam_get_org_billing_information", {}, controller.signal);
    expect(await until(() => count(sandbox.calls, "GetOrgBillingInformation") === callsBefore + 1, 3_000)).toBe(true);
    controller.abort("the user changed their mind");
    await expect(pending).rejects.toThrow(/changed their mind/);
    expect(await until(() => count(sandbox.aborted, "GetOrgBillingInformation") === abortedBefore + 1, 5_000)).toBe(true);
    expect(Date.now() - t0).toBeLessThan(4_000);
    sandbox.faults.delayMs = 0;
    await ok(server, "viam_get_org_billing_information");
    expect(server.stderr()).not.toMatch(/failed unexpectedly/);
  });

  it("cancelling a PDF download mid-stream aborts the stream and removes the partial file", async () => {
    sandbox.faults.pdfChunkDelayMs = 20; // the large invoice is 768 chunks: ~15 s
    const abortedBefore = count(sandbox.aborted, "GetInvoicePdf");
    const callsBefore = count(sandbox.calls, "GetInvoicePdf");
    const controller = new AbortController();
    const pending = call(server, "viam_get_invoice_pdf", { invoice_id: LARGE_INVOICE_ID, dest: "large.pdf" }, controller.signal);
    expect(await until(() => count(sandbox.calls, "GetInvoicePdf") === callsBefore + 1, 3_000)).toBe(true);
    expect(await until(() => filesIn(downloads(server)).some((f) => f.endsWith(".part")), 3_000)).toBe(true); // it is writing
    await sleep(200);
    controller.abort();
    await expect(pending).rejects.toThrow();
    expect(await until(() => count(sandbox.aborted, "GetInvoicePdf") === abortedBefore + 1, 5_000)).toBe(true);
    expect(await until(() => filesIn(downloads(server)).length === 0, 5_000)).toBe(true);
  });

  it("cancelling during retry backoff stops the retries", async () => {
    sandbox.faults.unavailableNext = 100;
    const before = count(sandbox.calls, "GetAvailableBillingTiers");
    const controller = new AbortController();
    const pending = call(server, "viam_get_available_billing_tiers", {}, controller.signal);
    expect(await until(() => count(sandbox.calls, "GetAvailableBillingTiers") >= before + 2, 3_000)).toBe(true);
    controller.abort();
    await expect(pending).rejects.toThrow();
    await sleep(100);
    const atCancel = count(sandbox.calls, "GetAvailableBillingTiers");
    await sleep(1_500); // the remaining backoffs (up to 0.4 + 0.8 s, with jitter) would have fired
    expect(count(sandbox.calls, "GetAvailableBillingTiers")).toBe(atCancel);
  });
});

describe("retries (read-only calls)", () => {
  it("two outages, then success: three attempts", async () => {
    sandbox.faults.unavailableNext = 2;
    const before = count(sandbox.calls, "GetCurrentMonthUsage");
    await ok(server, "viam_get_current_month_usage");
    expect(count(sandbox.calls, "GetCurrentMonthUsage") - before).toBe(3);
    expect(server.stderr()).toMatch(/retrying usage of org "org-acme" after Unavailable in \d+ ms/);
  });

  it("rate limited twice, then success: three attempts", async () => {
    sandbox.faults.resourceExhaustedNext = 2;
    const before = count(sandbox.calls, "GetLocationBillingOrganization");
    await ok(server, "viam_get_location_billing_organization", { location_id: LOCATIONS.warehouse });
    expect(count(sandbox.calls, "GetLocationBillingOrganization") - before).toBe(3);
  });

  it("a lasting outage: a clear error within the deadline, a bounded number of attempts", async () => {
    sandbox.faults.unavailableNext = 100;
    const before = count(sandbox.calls, "GetInvoicesSummary");
    const t0 = Date.now();
    const result = await call(server, "viam_get_invoices_summary", { timeout: 1 });
    const elapsed = Date.now() - t0;
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/^Viam is unavailable for invoices of org "org-acme" \(Viam said: sandbox: injected outage\)\. Check VIAM_SERVICE_HOST/);
    expect(elapsed).toBeLessThan(5_000); // the 1 s deadline, not the 100 injected outages
    const attempts = count(sandbox.calls, "GetInvoicesSummary") - before;
    expect(attempts).toBeGreaterThanOrEqual(2);
    expect(attempts).toBeLessThanOrEqual(5);

    const before2 = count(sandbox.calls, "GetInvoicesSummary");
    const t1 = Date.now();
    const withDefault = await call(server, "viam_get_invoices_summary");
    expect(withDefault.isError).toBe(true);
    expect(count(sandbox.calls, "GetInvoicesSummary") - before2).toBe(5); // at most 5 attempts
    expect(Date.now() - t1).toBeLessThan(8_000); // backoff 0.1+0.2+0.4+0.8 s, jitter x0.5-1.5; not the 30 s deadline
  });

  it("a login during an outage is retried like a read", async () => {
    const fresh = await freshServer();
    sandbox.faults.authUnavailableNext = 2;
    const before = logins();
    await ok(fresh, "viam_get_available_billing_tiers");
    expect(logins() - before).toBe(1);
    expect(sandbox.faults.authUnavailableNext).toBe(0);
    expect(fresh.stderr()).toMatch(/retrying the login for available billing tiers after Unavailable/);
  });

  it("the PDF stream is not retried", async () => {
    sandbox.faults.unavailableNext = 1;
    const before = count(sandbox.calls, "GetInvoicePdf");
    const result = await call(server, "viam_get_invoice_pdf", { invoice_id: acmeInvoice(), dest: "once.pdf" });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/unavailable/);
    expect(count(sandbox.calls, "GetInvoicePdf") - before).toBe(1);
    expect(filesIn(downloads(server))).toEqual([]);
  });
});

describe("writes are never retried (ViamConnection against the sandbox, retryable: false)", () => {
  let viam: ViamConnection;
  const logs: string[] = [];
  beforeAll(() => {
    const config = loadConfig({ VIAM_SERVICE_HOST: sandbox.url, VIAM_API_KEY_ID: sandbox.apiKeyId, VIAM_API_KEY: sandbox.apiKey });
    viam = new ViamConnection(config, { log: (level: LogLevel, message: string) => void logs.push(`${level}: ${message}`) });
  });
  afterAll(() => viam.close());

  const charge = (timeoutMs = 5_000) =>
    viam.unary("chargeOrganization", { orgIdToCharge: ORG.fleet, subtotal: 12.5, tax: 1 }, { what: 'a charge to org "org-fleet"', timeoutMs, retryable: false });
  const fleetInvoices = () => sandbox.state.orgs.get(ORG.fleet)!.invoices.length;

  it("UNAVAILABLE and RESOURCE_EXHAUSTED fail at once, after exactly one attempt", async () => {
    await viam.unary("getAvailableBillingTiers", {}, { what: "tiers", timeoutMs: 5_000, retryable: true }); // log in first
    for (const fault of ["unavailableNext", "resourceExhaustedNext"] as const) {
      const calls = count(sandbox.calls, "ChargeOrganization");
      const invoices = fleetInvoices();
      sandbox.faults[fault] = 1;
      await expect(charge()).rejects.toBeInstanceOf(ToolError);
      expect(count(sandbox.calls, "ChargeOrganization") - calls).toBe(1);
      expect(fleetInvoices()).toBe(invoices);
      sandbox.faults.reset();
    }
    expect(logs.join("\n")).not.toMatch(/retrying a charge/);
  });

  it("a login outage before a write is retried (nothing was sent); the write goes out once", async () => {
    const config = loadConfig({ VIAM_SERVICE_HOST: sandbox.url, VIAM_API_KEY_ID: sandbox.apiKeyId, VIAM_API_KEY: sandbox.apiKey });
    const fresh = new ViamConnection(config, { log: () => undefined });
    try {
      sandbox.faults.authUnavailableNext = 1;
      const calls = count(sandbox.calls, "ChargeOrganization");
      await fresh.unary("chargeOrganization", { orgIdToCharge: ORG.fleet, subtotal: 3, tax: 0 }, { what: "a charge", timeoutMs: 5_000, retryable: false });
      expect(count(sandbox.calls, "ChargeOrganization") - calls).toBe(1);
      expect(sandbox.faults.authUnavailableNext).toBe(0);
    } finally {
      await fresh.close();
    }
  });

  it("a write past its deadline is not repeated", async () => {
    sandbox.faults.delayMs = 2_000;
    const calls = count(sandbox.calls, "ChargeOrganization");
    const invoices = fleetInvoices();
    await expect(charge(300)).rejects.toThrow(/did not answer a charge to org "org-fleet" within 0.3 s/);
    await sleep(200);
    expect(count(sandbox.calls, "ChargeOrganization") - calls).toBe(1);
    expect(fleetInvoices()).toBe(invoices); // the handler gave up before charging
  });

  it("an expired token: one new login, the write lands exactly once", async () => {
    sandbox.faults.expireTokens();
    const auth = logins();
    const calls = count(sandbox.calls, "ChargeOrganization");
    const invoices = fleetInvoices();
    const { invoiceId } = await charge();
    expect(invoiceId).toMatch(/^inv_sbx_/);
    expect(logins() - auth).toBe(1);
    expect(count(sandbox.calls, "ChargeOrganization") - calls).toBe(1);
    expect(fleetInvoices()).toBe(invoices + 1);
  });
});

describe("re-authentication", () => {
  it("an access token expiring mid-session: one new login, the call succeeds", async () => {
    await ok(server, "viam_get_available_billing_tiers");
    sandbox.faults.expireTokens();
    const auth = logins();
    await ok(server, "viam_get_current_month_usage");
    expect(logins() - auth).toBe(1);
    expect(server.stderr()).toMatch(/Viam access token rejected; authenticating again/);
  });

  it("a PDF download on an expired token: one new login, then the stream (the SDK's authorization reaches the PDF reader)", async () => {
    await ok(server, "viam_get_available_billing_tiers");
    sandbox.faults.expireTokens();
    const auth = logins();
    const before = count(sandbox.calls, "GetInvoicePdf");
    const result = await ok(server, "viam_get_invoice_pdf", { invoice_id: acmeInvoice(), dest: "after-expiry.pdf" });
    expect(result.structuredContent).toMatchObject({ bytes: expect.any(Number) as number });
    rmSync(join(downloads(server), "after-expiry.pdf"));
    expect(logins() - auth).toBe(1);
    // Refused before the handler (not counted), then served once.
    expect(count(sandbox.calls, "GetInvoicePdf") - before).toBe(1);
  });

  it("30 concurrent calls on an expired token share one new login", async () => {
    await ok(server, "viam_get_available_billing_tiers");
    sandbox.faults.expireTokens();
    const auth = logins();
    const results = await Promise.all(Array.from({ length: 30 }, () => call(server, "viam_get_invoices_summary", { limit: 1 })));
    expect(results.filter((r) => r.isError).map(textOf)).toEqual([]);
    expect(logins() - auth).toBe(1);
  });
});

describe("concurrency", () => {
  it("100 concurrent calls: all succeed, one login, run in parallel upstream", async () => {
    const fresh = await freshServer();
    sandbox.faults.delayMs = 300;
    const auth = logins();
    const calls: [string, Record<string, unknown>][] = [
      ["viam_get_current_month_usage", {}],
      ["viam_get_org_billing_information", { org_id: ORG.fieldworks }],
      ["viam_get_invoices_summary", { status: "unpaid" }],
      ["viam_get_available_billing_tiers", {}],
      ["viam_get_location_billing_organization", { location_id: LOCATIONS.field }],
    ];
    const t0 = Date.now();
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => call(fresh, ...calls[i % calls.length]!)));
    const elapsed = Date.now() - t0;
    expect(results.filter((r) => r.isError).map(textOf)).toEqual([]);
    expect(elapsed).toBeLessThan(5_000); // sequentially: 100 x 300 ms = 30 s
    expect(logins() - auth).toBe(1);
    expect(fresh.stderr().match(/authenticated to/g)).toHaveLength(1);
    console.info(`100 concurrent calls, 300 ms upstream each: ${elapsed} ms`);
  });
});

describe("shutdown", () => {
  for (const how of ["SIGTERM", "stdin closed"] as const) {
    it(`${how}: the call in flight completes with its result, then exit 0`, async () => {
      const s = await spawnServer();
      await ok(s, "viam_get_available_billing_tiers"); // logged in
      sandbox.faults.delayMs = 1_500;
      const before = count(sandbox.calls, "GetCurrentMonthUsage");
      const inFlight = call(s, "viam_get_current_month_usage");
      expect(await until(() => count(sandbox.calls, "GetCurrentMonthUsage") === before + 1, 3_000)).toBe(true);
      const t0 = Date.now();
      if (how === "SIGTERM") {
        s.child.kill("SIGTERM");
        await sleep(100);
        const refused = await call(s, "viam_get_available_billing_tiers");
        expect(refused.isError).toBe(true);
        expect(textOf(refused)).toMatch(/shutting down and takes no new calls/);
      } else {
        s.child.stdin.end();
      }
      const result = await inFlight;
      expect(result.isError, textOf(result)).toBeFalsy();
      expect(result.structuredContent).toMatchObject({ org_id: ORG.acme });
      expect(await s.exited).toEqual({ code: 0, signal: null });
      expect(Date.now() - t0).toBeLessThan(4_000);
      expect(s.stderr()).toMatch(/shutting down, finishing 1 request\(s\) in flight/);
      expect(s.stderr()).not.toMatch(STACK_TRACE);
    });
  }

  it("SIGTERM during a confirmed charge: the charge lands once, both audit lines are written, then exit 0", async () => {
    const audit = join(mkdtempSync(join(tmpdir(), "billing-mcp-audit-")), "audit.jsonl");
    const s = await spawnServer({ BILLING_MCP_AUDIT_LOG: audit }, ["--allow-writes"]);
    const args = { org_id_to_charge: ORG.fieldworks, subtotal: 42, tax: 0 };
    const preview = await ok(s, "viam_charge_organization", args);
    const token = (preview.structuredContent as { confirmation_token: string }).confirmation_token;
    sandbox.faults.delayMs = 1_500;
    const before = count(sandbox.calls, "ChargeOrganization");
    const invoices = sandbox.state.orgs.get(ORG.fieldworks)!.invoices.length;
    const charging = call(s, "viam_charge_organization", { ...args, confirm: true, confirmation_token: token });
    expect(await until(() => count(sandbox.calls, "ChargeOrganization") === before + 1, 3_000)).toBe(true);
    s.child.kill("SIGTERM");
    const result = await charging;
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(result.structuredContent).toMatchObject({ status: "executed" });
    expect(await s.exited).toEqual({ code: 0, signal: null });
    expect(count(sandbox.calls, "ChargeOrganization") - before).toBe(1);
    expect(sandbox.state.orgs.get(ORG.fieldworks)!.invoices.length).toBe(invoices + 1);
    const outcomes = readFileSync(audit, "utf8").trim().split("\n").map((line) => (JSON.parse(line) as { outcome: string }).outcome);
    expect(outcomes).toEqual(["previewed", "attempt", "executed"]);
  });

  it("an idle server exits 0 at once on SIGTERM", async () => {
    const s = await spawnServer();
    await ok(s, "viam_get_available_billing_tiers");
    const t0 = Date.now();
    s.child.kill("SIGTERM");
    expect(await s.exited).toEqual({ code: 0, signal: null });
    expect(Date.now() - t0).toBeLessThan(4_000); // not the 5 s grace a busy server would wait
  });
});

describe("secrets", () => {
  it("no API key or token in anything a session writes, with debug logging, failures, retries and re-authentication", async () => {
    // The shared server has been through every failure above; add a few more, and a bad key.
    await call(server, "viam_get_invoices_summary", { org_id: ORG.restricted });
    await call(server, "viam_get_current_month_usage", { org_id: "org-nope" });
    sandbox.faults.expireTokens();
    await ok(server, "viam_get_invoices_summary");
    const wrongKey = "wrong-key-0123456789abcdef";
    const bad = await spawnServer({ VIAM_API_KEY: wrongKey });
    const rejected = await call(bad, "viam_get_available_billing_tiers");
    expect(textOf(rejected)).toMatch(/Viam rejected the credentials.*VIAM_API_KEY_ID and VIAM_API_KEY/);

    expect(sandbox.issuedTokens.length).toBeGreaterThan(5);
    for (const s of started) {
      const everything = s.stdout() + s.stderr();
      expect(everything.length).toBeGreaterThan(0);
      expect(everything).not.toContain(sandbox.apiKey);
      expect(everything).not.toContain(wrongKey);
      for (const token of sandbox.issuedTokens) expect(everything).not.toContain(token);
      expect(everything).not.toMatch(/Bearer [A-Za-z0-9]/);
      expect(s.stderr()).not.toMatch(STACK_TRACE);
    }
    expect(server.stderr()).toMatch(/billing-mcp debug: retrying/); // debug logging was on
  });
});
