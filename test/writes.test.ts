// Write tools end to end: the server in-process from source, a real MCP client, the Viam sandbox as
// the upstream. What reached Viam is read from the sandbox (calls, state), never assumed.
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CallToolResult, ElicitResult } from "@modelcontextprotocol/client";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { MAX_AUDIT_LINE_BYTES } from "../src/writes/audit-log.js";
import { testClock } from "./clock.js";
import { call, liveEnv, startViamSandbox, textOf } from "./harness.js";
import type { ViamSandbox } from "./harness.js";
import { startInProcess } from "./in-process.js";
import type { InProcessServer } from "./in-process.js";

const WRITE_TOOLS = [
  "viam_send_payment_required_email",
  "viam_update_organization_billing_tier",
  "viam_update_location_billing_organization",
  "viam_charge_organization",
  "viam_create_invoice_and_charge_immediately",
];
const WRITE_RPCS = [
  "SendPaymentRequiredEmail",
  "UpdateOrganizationBillingTier",
  "UpdateLocationBillingOrganization",
  "ChargeOrganization",
  "CreateInvoiceAndChargeImmediately",
];

let sandbox: ViamSandbox;
beforeAll(async () => {
  sandbox = await startViamSandbox();
});
afterAll(async () => {
  await sandbox?.close();
});

// ---- what reached the sandbox ----
const writeCalls = () => WRITE_RPCS.reduce((sum, rpc) => sum + (sandbox.calls.get(rpc) ?? 0), 0);
const rpcCount = (rpc: string) => sandbox.calls.get(rpc) ?? 0;
// Charges add fields the read RPCs do not carry; the sandbox keeps them on the invoice.
type ChargedInvoice = { id: string; amount: number; subtotal?: number; tax?: number; description?: string; brandingOrgId?: string; emailSent?: boolean };
const invoices = (): ChargedInvoice[] => [...sandbox.state.orgs.values()].flatMap((org) => org.invoices);
const invoiceOf = (orgId: string, id: string) => sandbox.state.orgs.get(orgId)?.invoices.find((inv) => inv.id === id) as ChargedInvoice | undefined;

// ---- the audit log ----
interface AuditLine {
  time: string;
  tool: string;
  arguments: Record<string, unknown>;
  outcome: string;
  reason?: string;
  via?: string;
  confirmation?: string;
  invoice_id?: string;
  error?: string;
  uncertain?: boolean;
}
const tempAuditPath = () => join(mkdtempSync(join(tmpdir(), "billing-mcp-audit-")), "audit.jsonl");
function auditLines(path: string): AuditLine[] {
  let text = "";
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return [];
  }
  return text
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as AuditLine);
}

// ---- calls ----
const structured = (result: CallToolResult) => result.structuredContent as Record<string, unknown> & { details: Record<string, unknown> };
const tokenOf = (result: CallToolResult) => structured(result).confirmation_token as string;
const disabledText = (name: string) => `"${name}" changes billing and needs --allow-writes (or BILLING_MCP_ALLOW_WRITES=true).`;
const CHARGE = { org_id_to_charge: "org-acme", subtotal: 100, tax: 8.25, description: "Setup fee" };

async function startWrites(env: Record<string, string> = {}) {
  const audit = tempAuditPath();
  const server = await startInProcess(liveEnv(sandbox, { BILLING_MCP_AUDIT_LOG: audit, ...env }), ["--allow-writes"]);
  return { server, audit };
}

async function previewAndConfirm(server: InProcessServer, tool: string, args: Record<string, unknown>) {
  const preview = await call(server.client, tool, args);
  expect(preview.isError, textOf(preview)).toBeFalsy();
  return call(server.client, tool, { ...args, confirm: true, confirmation_token: tokenOf(preview) });
}

describe("writes disabled (default)", () => {
  let server: InProcessServer;
  let audit: string;
  beforeAll(async () => {
    audit = tempAuditPath();
    server = await startInProcess(liveEnv(sandbox, { BILLING_MCP_AUDIT_LOG: audit }));
  });
  afterAll(() => server?.close());

  it("lists each write tool only as a disabled stub: no arguments, no output, a description saying how to enable it", async () => {
    const { tools } = await server.client.listTools();
    const names = tools.map((t) => t.name);
    expect(names).toContain("viam_get_invoices_summary");
    for (const name of WRITE_TOOLS) {
      const stub = tools.find((t) => t.name === name);
      expect(stub?.description).toBe("Disabled: it changes billing and needs --allow-writes (or BILLING_MCP_ALLOW_WRITES=true).");
      expect(Object.keys(stub?.inputSchema.properties ?? {})).toEqual([]);
      expect(stub?.outputSchema).toBeUndefined();
      expect(stub?.annotations?.readOnlyHint).toBe(false);
    }
  });

  it("refuses a call with how to enable writes, and nothing reaches Viam", async () => {
    const before = writeCalls();
    for (const name of WRITE_TOOLS) {
      const result = await call(server.client, name, { ...CHARGE, confirm: true, confirmation_token: "x" });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toBe(disabledText(name));
    }
    expect(writeCalls()).toBe(before);
    await expect(call(server.client, "viam_no_such_tool")).rejects.toThrow(/not found/);
    await expect.poll(() => auditLines(audit).length).toBe(WRITE_TOOLS.length);
    for (const line of auditLines(audit)) {
      // CHARGE's arguments are valid only for the charge tool; the others' lines say what is wrong.
      const valid = line.tool === "viam_charge_organization";
      expect(line).toMatchObject({ outcome: "refused", reason: valid ? "writes are disabled" : expect.stringMatching(/^writes are disabled \(and the arguments are invalid: /), arguments: { ...CHARGE, confirm: true } });
      expect(line.arguments).not.toHaveProperty("confirmation_token");
    }
  });

  it("refused calls with a 9 MB description add a few KiB to the log, not 27 MiB", async () => {
    const size = () => (existsSync(audit) ? statSync(audit).size : 0);
    const before = size();
    const linesBefore = before ? readFileSync(audit, "utf8").split("\n").filter(Boolean).length : 0;
    const huge = { org_id_to_charge: "org-acme", subtotal: 10, tax: 0, description: "d".repeat(9 * 1024 * 1024) };
    for (let i = 0; i < 3; i++) {
      const result = await call(server.client, "viam_charge_organization", huge);
      expect(textOf(result)).toBe(disabledText("viam_charge_organization"));
    }
    await expect.poll(() => size() - before, { timeout: 10_000 }).toBeGreaterThan(0);
    await expect.poll(() => readFileSync(audit, "utf8").split("\n").filter(Boolean).length - linesBefore, { timeout: 10_000 }).toBe(3);
    const grown = size() - before;
    expect(grown).toBeLessThan(3 * MAX_AUDIT_LINE_BYTES);
    console.log(`3 refused calls with a 9 MiB description grew the audit log by ${grown} bytes`);
    for (const line of readFileSync(audit, "utf8").split("\n").filter(Boolean).slice(-3)) {
      expect(Buffer.byteLength(line)).toBeLessThanOrEqual(MAX_AUDIT_LINE_BYTES);
      expect(JSON.parse(line)).toMatchObject({
        outcome: "refused",
        reason: "writes are disabled (and the arguments are invalid: description must be at most 500 characters)",
        arguments: { org_id_to_charge: "org-acme", description: expect.stringMatching(/^d{600}… \[9437184 characters, cut\]$/) },
      });
    }
  });

  it("BILLING_MCP_ALLOW_WRITES=true enables them", async () => {
    const enabled = await startInProcess(liveEnv(sandbox, { BILLING_MCP_ALLOW_WRITES: "true", BILLING_MCP_AUDIT_LOG: tempAuditPath() }));
    try {
      const names = (await enabled.client.listTools()).tools.map((t) => t.name);
      for (const name of WRITE_TOOLS) expect(names).toContain(name);
    } finally {
      await enabled.close();
    }
  });
});

describe("writes enabled", () => {
  let server: InProcessServer;
  let audit: string;
  beforeAll(async () => {
    ({ server, audit } = await startWrites());
  });
  afterAll(() => server?.close());
  let auditBefore = 0;
  beforeEach(() => {
    auditBefore = auditLines(audit).length;
  });
  const newAudit = () => auditLines(audit).slice(auditBefore);

  it("annotates write tools from their access class", async () => {
    const { tools } = await server.client.listTools();
    const byName = new Map(tools.map((t) => [t.name, t]));
    for (const name of WRITE_TOOLS) {
      const hints = byName.get(name)?.annotations;
      // A write tool states all four hints, whatever MCP's defaults.
      expect(hints?.readOnlyHint, name).toBe(false);
      expect(hints?.openWorldHint, name).toBe(true);
      expect(hints?.destructiveHint, name).toBe(name.includes("charge"));
      expect(hints?.idempotentHint, name).toBe(name.includes("update"));
      expect(Object.keys(byName.get(name)?.inputSchema.properties ?? {}), name).toEqual(expect.arrayContaining(["confirm", "confirmation_token", "timeout"]));
    }
    expect(byName.get("viam_create_invoice_and_charge_immediately")?.description).toMatch(/DEPRECATED.*viam_charge_organization/);
  });

  it("a call without confirmation only previews: figures, email, token; nothing reaches Viam", async () => {
    const callsBefore = writeCalls();
    const invoicesBefore = invoices().length;
    const preview = await call(server.client, "viam_charge_organization", CHARGE);
    expect(preview.isError).toBeFalsy();
    const out = structured(preview);
    expect(out.status).toBe("preview");
    expect(out.details).toMatchObject({ org_id_to_charge: "org-acme", subtotal: 100, tax: 8.25, total: 108.25, currency: "USD", confirmation_email: true });
    expect(out.summary).toMatch(/org-acme 108\.25 USD.*subtotal 100\.00 USD \+ tax 8\.25 USD.*emails a confirmation/);
    expect(out.confirmation_token).toMatch(/^[A-Za-z0-9_-]{24,}$/);
    expect(textOf(preview)).toContain(out.confirmation_token as string);
    expect(textOf(preview)).toMatch(/^PREVIEW, nothing has been done/m);
    expect(Date.parse(out.expires_at as string) - testClock().getTime()).toBeGreaterThan(250_000);
    expect(writeCalls()).toBe(callsBefore);
    expect(invoices().length).toBe(invoicesBefore);
    const [line] = newAudit();
    expect(line).toMatchObject({ tool: "viam_charge_organization", outcome: "previewed", via: "token", arguments: { ...CHARGE, disable_confirmation_email: false } });
    expect(line?.confirmation).toMatch(/^sha256:[0-9a-f]{12}$/);
    expect(readFileSync(audit, "utf8")).not.toContain(out.confirmation_token as string);
  });

  it("confirm with the token performs the charge once, audited before and after", async () => {
    const before = rpcCount("ChargeOrganization");
    const invoicesBefore = invoices().length;
    const done = await previewAndConfirm(server, "viam_charge_organization", CHARGE);
    expect(done.isError, textOf(done)).toBeFalsy();
    const out = structured(done);
    expect(out.status).toBe("executed");
    const invoiceId = (out.result as { invoice_id: string }).invoice_id;
    expect(invoiceId).toBeTruthy();
    expect(textOf(done)).toContain(invoiceId);
    expect(rpcCount("ChargeOrganization")).toBe(before + 1);
    expect(invoices().length).toBe(invoicesBefore + 1);
    const lines = newAudit();
    expect(lines.map((l) => l.outcome)).toEqual(["previewed", "attempt", "executed"]);
    expect(lines[2]?.invoice_id).toBe(invoiceId);
    expect(new Set(lines.map((l) => l.confirmation)).size).toBe(1); // preview and confirmation tie up
    expect(Date.parse(lines[1]!.time)).toBeLessThanOrEqual(Date.parse(lines[2]!.time));
  });

  it("refuses confirm without a token, with wrong arguments, a forged token, another tool's token, and a replay", async () => {
    // Its own charge: the same charge again within 24 hours would be refused as a duplicate.
    const CHARGE = { org_id_to_charge: "org-acme", subtotal: 100, tax: 8.25, description: "Setup fee, token checks" };
    const before = writeCalls();
    const noToken = await call(server.client, "viam_charge_organization", { ...CHARGE, confirm: true });
    expect(textOf(noToken)).toMatch(/^Refused: confirm: true needs the confirmation_token from a preview/);

    const token = tokenOf(await call(server.client, "viam_charge_organization", CHARGE));
    const wrongArgs = await call(server.client, "viam_charge_organization", { ...CHARGE, subtotal: 101, confirm: true, confirmation_token: token });
    expect(textOf(wrongArgs)).toMatch(/^Refused: this confirmation_token was issued for different arguments/);
    const dropped = await call(server.client, "viam_charge_organization", { ...CHARGE, description: undefined, confirm: true, confirmation_token: token });
    expect(textOf(dropped)).toMatch(/different arguments/);

    const forged = await call(server.client, "viam_charge_organization", { ...CHARGE, confirm: true, confirmation_token: "A".repeat(32) });
    expect(textOf(forged)).toMatch(/^Refused: this confirmation_token was not issued by this server process/);

    const tierToken = tokenOf(await call(server.client, "viam_update_organization_billing_tier", { organization_id: "org-acme", billing_tier: "enterprise" }));
    const otherTool = await call(server.client, "viam_charge_organization", { ...CHARGE, confirm: true, confirmation_token: tierToken });
    expect(textOf(otherTool)).toMatch(/issued for viam_update_organization_billing_tier, not viam_charge_organization/);

    for (const refused of [noToken, wrongArgs, dropped, forged, otherTool]) {
      expect(refused.isError).toBe(true);
      expect(textOf(refused)).toMatch(/Nothing was sent to Viam\.$/);
    }
    expect(writeCalls()).toBe(before);

    // The refusals above did not spend the token: its own arguments still go through, once.
    const ok = await call(server.client, "viam_charge_organization", { ...CHARGE, confirm: true, confirmation_token: token });
    expect(structured(ok).status).toBe("executed");
    const replay = await call(server.client, "viam_charge_organization", { ...CHARGE, confirm: true, confirmation_token: token });
    expect(replay.isError).toBe(true);
    expect(textOf(replay)).toMatch(/^Refused: this confirmation_token was already used/);
    expect(writeCalls()).toBe(before + 1);

    const refusals = newAudit().filter((l) => l.outcome === "refused");
    expect(refusals.map((l) => l.reason)).toEqual([
      expect.stringMatching(/needs the confirmation_token/),
      expect.stringMatching(/different arguments/),
      expect.stringMatching(/different arguments/),
      expect.stringMatching(/not issued by this server process/),
      expect.stringMatching(/issued for viam_update_organization_billing_tier/),
      expect.stringMatching(/already used/),
    ]);
  });

  it("five identical confirmations at once: exactly one charge", async () => {
    const before = rpcCount("ChargeOrganization");
    const invoicesBefore = invoices().length;
    const args = { org_id_to_charge: "org-fieldworks", subtotal: 12.5, tax: 0 };
    const token = tokenOf(await call(server.client, "viam_charge_organization", args));
    const results = await Promise.all(
      Array.from({ length: 5 }, () => call(server.client, "viam_charge_organization", { ...args, confirm: true, confirmation_token: token })),
    );
    expect(results.filter((r) => !r.isError).length).toBe(1);
    expect(results.filter((r) => r.isError && /already used/.test(textOf(r))).length).toBe(4);
    expect(rpcCount("ChargeOrganization")).toBe(before + 1);
    expect(invoices().length).toBe(invoicesBefore + 1);
    expect(newAudit().filter((l) => l.outcome === "attempt").length).toBe(1);
  });

  it("refuses a charge above BILLING_MCP_MAX_CHARGE (default 1000 USD) at preview, without a token", async () => {
    const before = writeCalls();
    const over = await call(server.client, "viam_charge_organization", { org_id_to_charge: "org-acme", subtotal: 950, tax: 50.01 });
    expect(over.isError).toBe(true);
    expect(textOf(over)).toMatch(/^Refused: the total 1000\.01 USD exceeds the limit of 1000\.00 USD per charge \(BILLING_MCP_MAX_CHARGE\)/);
    const legacy = await call(server.client, "viam_create_invoice_and_charge_immediately", { org_id_to_charge: "org-acme", amount: 5000 });
    expect(textOf(legacy)).toMatch(/exceeds the limit/);
    const atCap = await call(server.client, "viam_charge_organization", { org_id_to_charge: "org-acme", subtotal: 950, tax: 50 });
    expect(structured(atCap).status).toBe("preview");
    expect(writeCalls()).toBe(before);
    expect(newAudit().map((l) => l.outcome)).toEqual(["refused", "refused", "previewed"]);
  });

  it("amounts are positive whole cents: anything else is refused at preview, naming the rule, without a token", async () => {
    const before = writeCalls();
    const refusedAt = async (tool: string, args: Record<string, unknown>, field: string, rule: RegExp) => {
      const result = await call(server.client, tool, args);
      expect(result.isError, `${JSON.stringify(args)}: ${textOf(result)}`).toBe(true);
      expect(textOf(result)).toContain(field);
      expect(textOf(result)).toMatch(rule);
      expect(result.structuredContent).toBeUndefined();
    };
    const positive = /must be a positive amount in whole cents \(at least 0\.01, at most 2 decimals\)/;
    for (const subtotal of [5e-324, 0.0100000001, 1000.000000001, 0, 0.001, -1]) {
      await refusedAt("viam_charge_organization", { org_id_to_charge: "org-acme", subtotal, tax: 0 }, "subtotal", positive);
    }
    await refusedAt("viam_charge_organization", { org_id_to_charge: "org-acme", subtotal: 10, tax: 0.005 }, "tax", /must be an amount in whole cents \(0 or more, at most 2 decimals\)/);
    for (const amount of [5e-324, 0, 0.0100000001]) {
      await refusedAt("viam_create_invoice_and_charge_immediately", { org_id_to_charge: "org-acme", amount }, "amount", positive);
    }
    expect(writeCalls()).toBe(before);
    expect(newAudit().filter((l) => l.outcome === "previewed")).toEqual([]);
    // Whole cents, including those a double cannot hold exactly, still preview.
    const ok = await call(server.client, "viam_charge_organization", { org_id_to_charge: "org-acme", subtotal: 0.01, tax: 0 });
    expect(structured(ok).status).toBe("preview");
    const odd = await call(server.client, "viam_charge_organization", { org_id_to_charge: "org-acme", subtotal: 19.99, tax: 0.07 });
    expect(structured(odd).details).toMatchObject({ subtotal: 19.99, tax: 0.07, total: 20.06 });
  });

  it("look-alike ids (letters of two scripts, fullwidth forms) are refused at preview, naming what was found", async () => {
    const before = writeCalls();
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ org_id_to_charge: "org-\u0430\u0441me", subtotal: 10, tax: 0 }, /org_id_to_charge.*mixes Latin with Cyrillic letters \(Cyrillic "\u0430" U\+0430, Cyrillic "\u0441" U\+0441\), a look-alike of another id; retype it in one script/],
      [{ org_id_to_charge: "org-acme", subtotal: 10, tax: 0, org_id_for_branding: "org-fle\u03bft" }, /org_id_for_branding.*mixes Latin with Greek letters \(Greek "\u03bf" U\+03BF\)/],
      [{ org_id_to_charge: "org-ac\uff4de", subtotal: 10, tax: 0 }, /org_id_to_charge.*contains "\uff4d" U\+FF4D, a compatibility form \(fullwidth or styled\) that looks like "m"/],
    ];
    for (const [args, rule] of cases) {
      const result = await call(server.client, "viam_charge_organization", args);
      expect(result.isError, textOf(result)).toBe(true);
      expect(textOf(result)).toMatch(rule);
      expect(result.structuredContent).toBeUndefined();
    }
    const tier = await call(server.client, "viam_update_organization_billing_tier", { organization_id: "\u043erg-acme", billing_tier: "free" });
    expect(textOf(tier)).toMatch(/organization_id.*mixes Latin with Cyrillic letters \(Cyrillic "\u043e" U\+043E\)/);
    expect(writeCalls()).toBe(before);
    expect(newAudit().filter((l) => l.outcome === "previewed")).toEqual([]);
    // One script throughout is an id like any other (here unknown to the sandbox, so refused as such).
    expect(textOf(await call(server.client, "viam_charge_organization", { org_id_to_charge: "\u043e\u0440\u0433-1", subtotal: 10, tax: 0 }))).toMatch(/^Refused: Not found/);
  });

  it("constructor and prototype are refused like any unknown argument", async () => {
    const unknown = (key: string) =>
      `unknown argument ${JSON.stringify(key)}: viam_charge_organization takes org_id_to_charge, subtotal, tax, description, org_id_for_branding, disable_confirmation_email, allow_duplicate, confirm, confirmation_token, timeout`;
    for (const key of ["constructor", "prototype", "bogus"]) {
      const args = JSON.parse(`{"org_id_to_charge":"org-acme","subtotal":1,"tax":0,${JSON.stringify(key)}:{"polluted":true}}`) as Record<string, unknown>;
      const result = await call(server.client, "viam_charge_organization", args);
      expect(result.isError).toBe(true);
      expect(textOf(result)).toContain(unknown(key));
    }
    expect(newAudit()).toEqual([]);
  });

  it("an org the key cannot see is refused at preview: no token, nothing sent", async () => {
    const before = writeCalls();
    const refused = await call(server.client, "viam_charge_organization", { org_id_to_charge: "org-nowhere", subtotal: 10, tax: 0 });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toMatch(/^Refused: Not found: .*org-nowhere.*viam_list_organizations.*looked up before any preview.*Nothing was sent to Viam\.$/);
    expect(textOf(refused)).not.toMatch(/confirmation_token/);
    expect(writeCalls()).toBe(before);
    expect(newAudit().map((l) => l.outcome)).toEqual(["refused"]);
  });

  it("an upstream failure is reported and audited as failed", async () => {
    const before = rpcCount("ChargeOrganization");
    const args = { org_id_to_charge: "org-acme", subtotal: 10, tax: 0, description: "Upstream failure" };
    const preview = await call(server.client, "viam_charge_organization", args);
    sandbox.faults.resourceExhaustedNext = 1; // the charge itself, after the preview's look-ups
    const failed = await call(server.client, "viam_charge_organization", { ...args, confirm: true, confirmation_token: tokenOf(preview) });
    sandbox.faults.reset();
    expect(failed.isError).toBe(true);
    expect(rpcCount("ChargeOrganization")).toBe(before + 1);
    const lines = newAudit();
    expect(lines.map((l) => l.outcome)).toEqual(["previewed", "attempt", "failed"]);
    expect(lines[2]).toMatchObject({ uncertain: false });
  });

  it("a write is never retried, and a failure that may have taken effect says so", async () => {
    const before = rpcCount("ChargeOrganization");
    const args = { org_id_to_charge: "org-acme", subtotal: 5, tax: 0 };
    const first = await call(server.client, "viam_charge_organization", args);
    sandbox.faults.unavailableNext = 1; // a read would be retried through this
    const unavailable = await call(server.client, "viam_charge_organization", { ...args, confirm: true, confirmation_token: tokenOf(first) });
    sandbox.faults.reset();
    expect(unavailable.isError).toBe(true);
    expect(textOf(unavailable)).toMatch(/unavailable.*It may still have taken effect: check/s);
    expect(rpcCount("ChargeOrganization")).toBe(before + 1);

    // The same charge again, after a failure that may have taken effect: a model retrying after
    // a timeout. The preview warns and names the attempt; confirming needs allow_duplicate.
    const again = await call(server.client, "viam_charge_organization", args);
    expect(structured(again).warnings).toEqual([expect.stringMatching(/^WARNING, POSSIBLE DOUBLE CHARGE: viam_charge_organization of 5\.00 USD to org-acme at .* \(sent, no answer: it may or may not have happened\)/)]);
    const refused = await call(server.client, "viam_charge_organization", { ...args, confirm: true, confirmation_token: tokenOf(again) });
    expect(textOf(refused)).toMatch(/^Refused: .* the same charge .* pass allow_duplicate: true/);
    expect(rpcCount("ChargeOrganization")).toBe(before + 1);

    const slowPreview = await call(server.client, "viam_charge_organization", { ...args, timeout: 0.3 });
    sandbox.faults.delayMs = 2000; // the charge, after the preview's look-ups
    const slow = await call(server.client, "viam_charge_organization", { ...args, timeout: 0.3, confirm: true, allow_duplicate: true, confirmation_token: tokenOf(slowPreview) });
    sandbox.faults.reset();
    expect(textOf(slow)).toMatch(/did not answer .* within 0.3 s.*may still have taken effect/s);
    expect(rpcCount("ChargeOrganization")).toBe(before + 2);
    const failures = newAudit().filter((l) => l.outcome === "failed");
    expect(failures.map((l) => l.uncertain)).toEqual([true, true]);
  });

  it("the other write tools change the sandbox only after confirmation", async () => {
    const tierArgs = { organization_id: "org-orbital", billing_tier: "free" };
    const locationArgs = { location_id: "loc-warehouse", billing_organization_id: "org-fleet" };
    const emailArgs = { customer_org_id: "org-fleet", billing_owner_org_id: "org-acme" };
    const emailsBefore = sandbox.state.emails.length;

    const tierPreview = await call(server.client, "viam_update_organization_billing_tier", tierArgs);
    expect(structured(tierPreview).details).toMatchObject({ ...tierArgs, email: false });
    expect(sandbox.state.orgs.get("org-orbital")?.tier).toBe("enterprise");
    const tier = await call(server.client, "viam_update_organization_billing_tier", { ...tierArgs, confirm: true, confirmation_token: tokenOf(tierPreview) });
    expect(structured(tier)).toMatchObject({ status: "executed", result: tierArgs });
    expect(sandbox.state.orgs.get("org-orbital")?.tier).toBe("free");

    const location = await previewAndConfirm(server, "viam_update_location_billing_organization", locationArgs);
    expect(structured(location)).toMatchObject({ status: "executed", result: locationArgs });
    expect(sandbox.state.locations.get("loc-warehouse")).toBe("org-fleet");

    const emailPreview = await call(server.client, "viam_send_payment_required_email", emailArgs);
    expect(structured(emailPreview).details).toMatchObject({ email: true });
    expect(sandbox.state.emails.length).toBe(emailsBefore);
    const email = await call(server.client, "viam_send_payment_required_email", { ...emailArgs, confirm: true, confirmation_token: tokenOf(emailPreview) });
    expect(structured(email).status).toBe("executed");
    expect(sandbox.state.emails.slice(emailsBefore)).toMatchObject([{ customerOrgId: "org-fleet", billingOwnerOrgId: "org-acme" }]);

    const legacy = await previewAndConfirm(server, "viam_create_invoice_and_charge_immediately", { org_id_to_charge: "org-acme", amount: 42, disable_email: true });
    expect(structured(legacy).details).toMatchObject({ total: 42, email: false });
    expect(invoiceOf("org-acme", (structured(legacy).result as { invoice_id: string }).invoice_id)).toMatchObject({ amount: 42, emailSent: false });
    expect(rpcCount("CreateInvoiceAndChargeImmediately")).toBe(1);
  });

  it("the charge request reaches the wire with every field", async () => {
    const args = { org_id_to_charge: "org-orbital", subtotal: 19.99, tax: 1.6, description: "Premium module", org_id_for_branding: "org-fleet", disable_confirmation_email: true };
    const done = await previewAndConfirm(server, "viam_charge_organization", args);
    const invoiceId = (structured(done).result as { invoice_id: string }).invoice_id;
    expect(invoiceOf("org-orbital", invoiceId)).toMatchObject({
      amount: 21.59,
      subtotal: 19.99,
      tax: 1.6,
      description: "Premium module",
      brandingOrgId: "org-fleet",
      emailSent: false,
    });
  });

  it("the audit log never holds the API key or a confirmation token", async () => {
    const token = tokenOf(await call(server.client, "viam_charge_organization", CHARGE));
    await call(server.client, "viam_charge_organization", { ...CHARGE, confirm: true, confirmation_token: token });
    const text = readFileSync(audit, "utf8");
    expect(text).not.toContain(sandbox.apiKey);
    expect(text).not.toContain(token);
    expect(text).not.toMatch(/"confirmation_token"|Bearer/);
    expect(server.stderr()).not.toContain(token);
  });
});

describe("expiry", () => {
  it("a token expires after BILLING_MCP_CONFIRM_TTL_SECONDS", async () => {
    const { server, audit } = await startWrites({ BILLING_MCP_CONFIRM_TTL_SECONDS: "1" });
    try {
      const before = writeCalls();
      const token = tokenOf(await call(server.client, "viam_update_organization_billing_tier", { organization_id: "org-acme", billing_tier: "free" }));
      await new Promise((resolve) => setTimeout(resolve, 1200));
      const late = await call(server.client, "viam_update_organization_billing_tier", { organization_id: "org-acme", billing_tier: "free", confirm: true, confirmation_token: token });
      expect(late.isError).toBe(true);
      expect(textOf(late)).toMatch(/^Refused: this confirmation_token expired at /);
      expect(writeCalls()).toBe(before);
      expect(auditLines(audit).at(-1)).toMatchObject({ outcome: "refused", reason: expect.stringMatching(/expired/) });
    } finally {
      await server.close();
    }
  });

  it("a token from another server process is refused", async () => {
    const first = await startWrites();
    const second = await startWrites();
    try {
      const token = tokenOf(await call(first.server.client, "viam_charge_organization", CHARGE));
      const elsewhere = await call(second.server.client, "viam_charge_organization", { ...CHARGE, confirm: true, confirmation_token: token });
      expect(textOf(elsewhere)).toMatch(/not issued by this server process/);
    } finally {
      await first.server.close();
      await second.server.close();
    }
  });
});

describe("audit log", () => {
  it("an unwritable audit log refuses the write, and nothing reaches Viam", async () => {
    const dir = mkdtempSync(join(tmpdir(), "billing-mcp-audit-"));
    const notADirectory = join(dir, "file");
    writeFileSync(notADirectory, "");
    const { server } = await startWrites({ BILLING_MCP_AUDIT_LOG: join(notADirectory, "audit.jsonl") });
    try {
      const before = writeCalls();
      const result = await call(server.client, "viam_charge_organization", CHARGE);
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(/^Refused: the audit log .*audit\.jsonl cannot be written \(E[A-Z]+\).*Nothing was sent to Viam/);
      expect(result.structuredContent).toBeUndefined();
      expect(writeCalls()).toBe(before);
    } finally {
      await server.close();
    }
  });

  it("defaults to ~/.local/state/billing-mcp/audit.jsonl", async () => {
    const server = await startInProcess(liveEnv(sandbox), ["--allow-writes"]);
    try {
      await call(server.client, "viam_send_payment_required_email", { customer_org_id: "org-acme", billing_owner_org_id: "org-fleet" });
      expect(auditLines(join(server.home, ".local", "state", "billing-mcp", "audit.jsonl")).map((l) => l.outcome)).toEqual(["previewed"]);
    } finally {
      await server.close();
    }
  });
});

describe("elicitation", () => {
  async function startAsking(answer: ElicitResult | Error) {
    const audit = tempAuditPath();
    const server = await startInProcess(liveEnv(sandbox, { BILLING_MCP_AUDIT_LOG: audit }), ["--allow-writes"], { elicitation: {} });
    const asked: string[] = [];
    server.client.setRequestHandler("elicitation/create", (request) => {
      asked.push(request.params.message);
      if (answer instanceof Error) throw answer;
      return answer;
    });
    return { server, audit, asked };
  }

  it("asks the human inside the call and acts on accept", async () => {
    const { server, audit, asked } = await startAsking({ action: "accept", content: { confirm: true } });
    try {
      const before = rpcCount("ChargeOrganization");
      const done = await call(server.client, "viam_charge_organization", CHARGE);
      expect(done.isError, textOf(done)).toBeFalsy();
      expect(structured(done).status).toBe("executed");
      expect(asked).toHaveLength(1);
      expect(asked[0]).toMatch(/org-acme 108\.25 USD/);
      expect(asked[0]).toMatch(/confirmation_email: true/);
      expect(rpcCount("ChargeOrganization")).toBe(before + 1);
      expect(auditLines(audit).map((l) => [l.outcome, l.via])).toEqual([
        ["previewed", "elicitation"],
        ["attempt", "elicitation"],
        ["executed", "elicitation"],
      ]);
    } finally {
      await server.close();
    }
  });

  it("refuses when the client fails to ask", async () => {
    const { server, audit, asked } = await startAsking(new Error("no UI attached"));
    try {
      const before = writeCalls();
      const result = await call(server.client, "viam_send_payment_required_email", { customer_org_id: "org-fleet", billing_owner_org_id: "org-acme" });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(/^Refused: the user could not be asked to confirm \(.*no UI attached\)/);
      expect(asked).toHaveLength(1);
      expect(writeCalls()).toBe(before);
      expect(auditLines(audit).map((l) => l.outcome)).toEqual(["previewed", "refused"]);
    } finally {
      await server.close();
    }
  });

  for (const answer of [
    { action: "decline" },
    { action: "cancel" },
    { action: "accept", content: { confirm: false } },
  ] as ElicitResult[]) {
    it(`performs nothing on ${JSON.stringify(answer)}`, async () => {
      const { server, audit, asked } = await startAsking(answer);
      try {
        const before = writeCalls();
        const result = await call(server.client, "viam_update_location_billing_organization", { location_id: "loc-warehouse", billing_organization_id: "org-acme" });
        expect(result.isError).toBeFalsy();
        expect(structured(result).status).toBe("declined");
        expect(textOf(result)).toMatch(/nothing was done/);
        expect(asked).toHaveLength(1);
        expect(writeCalls()).toBe(before);
        expect(auditLines(audit).map((l) => l.outcome)).toEqual(["previewed", "declined"]);
      } finally {
        await server.close();
      }
    });
  }
});
