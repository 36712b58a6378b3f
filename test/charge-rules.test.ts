// The duplicate rule, the daily cap and unanswered attempts, through a real MCP client against
// the sandbox: across concurrent confirmations, a restart, and a server killed mid-charge.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, liveEnv, runCli, startViamSandbox, textOf } from "./harness.js";
import type { ViamSandbox } from "./harness.js";
import { startServerProcess } from "./process-harness.js";
import { startInProcess } from "./in-process.js";
import type { InProcessServer } from "./in-process.js";

let sandbox: ViamSandbox;
beforeAll(async () => {
  sandbox = await startViamSandbox();
});
afterAll(async () => {
  await sandbox?.close();
});

const charges = () => sandbox.calls.get("ChargeOrganization") ?? 0;
const auditPath = () => join(mkdtempSync(join(tmpdir(), "billing-mcp-rules-")), "audit.jsonl");
const structured = (r: CallToolResult) => r.structuredContent as { status?: string; confirmation_token?: string; warnings?: string[] };
const TOOL = "viam_charge_organization";

async function writes(audit: string, extra: Record<string, string> = {}): Promise<InProcessServer> {
  return startInProcess(liveEnv(sandbox, { BILLING_MCP_AUDIT_LOG: audit, ...extra }), ["--allow-writes"]);
}
async function preview(server: InProcessServer, args: Record<string, unknown>) {
  const result = await call(server.client, TOOL, args);
  expect(result.isError, textOf(result)).toBeFalsy();
  return structured(result);
}
const tokenOf = (r: CallToolResult) => structured(r).confirmation_token;
const confirm = (server: InProcessServer, args: Record<string, unknown>, token: string | undefined, extra: Record<string, unknown> = {}) =>
  call(server.client, TOOL, { ...args, confirm: true, confirmation_token: token, ...extra });

describe("no charge twice without allow_duplicate", () => {
  it("8 concurrent confirmations of 8 previews of one charge: exactly one reaches Viam", async () => {
    const server = await writes(auditPath());
    try {
      const args = { org_id_to_charge: "org-fleet", subtotal: 42, tax: 0, description: "Concurrent" };
      const tokens = await Promise.all(Array.from({ length: 8 }, async () => (await preview(server, args)).confirmation_token));
      const before = charges();
      const results = await Promise.all(tokens.map((t) => confirm(server, args, t)));
      expect(charges()).toBe(before + 1);
      expect(results.filter((r) => !r.isError).length).toBe(1);
      for (const r of results.filter((x) => x.isError)) expect(textOf(r)).toMatch(/same charge .* allow_duplicate: true.*Nothing was sent to Viam\.$/);
    } finally {
      await server.close();
    }
  });

  it("survives a restart: the duplicate is named with its invoice, and allow_duplicate lets it through", async () => {
    const audit = auditPath();
    const args = { org_id_to_charge: "org-fieldworks", subtotal: 250, tax: 0, description: "Field service" };
    const first = await writes(audit);
    let invoice: string;
    try {
      const done = await confirm(first, args, (await preview(first, args)).confirmation_token);
      invoice = (done.structuredContent as { result: { invoice_id: string } }).result.invoice_id;
    } finally {
      await first.close();
    }
    const second = await writes(audit);
    try {
      const again = await preview(second, args);
      expect(again.warnings).toEqual([expect.stringContaining(`POSSIBLE DOUBLE CHARGE: viam_charge_organization of 250.00 USD to org-fieldworks ("Field service")`)]);
      expect(again.warnings![0]).toContain(`(executed, invoice ${invoice})`);
      const before = charges();
      const refused = await confirm(second, args, again.confirmation_token);
      expect(textOf(refused)).toMatch(/^Refused: .*same charge/);
      expect(charges()).toBe(before);
      // A different description is a different charge; allow_duplicate goes ahead with the same one.
      expect((await preview(second, { ...args, description: "Field service, day 2" })).warnings).toEqual([]);
      const allowed = await confirm(second, args, (await preview(second, args)).confirmation_token, { allow_duplicate: true });
      expect(structured(allowed).status).toBe("executed");
      expect(charges()).toBe(before + 1);
    } finally {
      await second.close();
    }
  });
});

describe("BILLING_MCP_MAX_DAILY_CHARGE", () => {
  it("bounds the sum per organization over 24 hours, at preview and across a restart", async () => {
    const audit = auditPath();
    const limits = { BILLING_MCP_MAX_CHARGE: "1000", BILLING_MCP_MAX_DAILY_CHARGE: "1000" };
    const one = { org_id_to_charge: "org-orbital", subtotal: 600, tax: 0, description: "Part 1" };
    const two = { ...one, description: "Part 2" };
    const server = await writes(audit, limits);
    try {
      expect(structured(await confirm(server, one, (await preview(server, one)).confirmation_token)).status).toBe("executed");
      const over = await call(server.client, TOOL, two);
      expect(over.isError).toBe(true);
      expect(textOf(over)).toMatch(/org-orbital has 600\.00 USD charged or possibly charged in the last 24 hours; 600\.00 USD more would exceed the daily limit of 1000\.00 USD .*BILLING_MCP_MAX_DAILY_CHARGE/);
      // Another org has its own budget.
      expect((await preview(server, { ...two, org_id_to_charge: "org-acme" })).status).toBe("preview");
    } finally {
      await server.close();
    }
    const restarted = await writes(audit, limits);
    try {
      const before = charges();
      expect(textOf(await call(restarted.client, TOOL, { ...two, subtotal: 400.01 }))).toMatch(/would exceed the daily limit/);
      expect((await preview(restarted, { ...two, subtotal: 400 })).status).toBe("preview");
      expect(charges()).toBe(before);
    } finally {
      await restarted.close();
    }
  });
});

describe("a server killed mid-charge", () => {
  it("leaves an unresolved attempt that the next server names in its instructions, its previews and the CLI", async () => {
    const audit = auditPath();
    const args = { org_id_to_charge: "org-acme", subtotal: 77, tax: 0, description: "Killed" };
    const env = liveEnv(sandbox, { BILLING_MCP_AUDIT_LOG: audit });
    const doomed = await startServerProcess(env, ["--allow-writes"]);
    const before = charges();
    sandbox.faults.delayMs = 5000; // the sandbox holds the answer
    try {
      const token = ((await doomed.client.callTool({ name: TOOL, arguments: args })) as CallToolResult).structuredContent as { confirmation_token: string };
      void doomed.client.callTool({ name: TOOL, arguments: { ...args, confirm: true, confirmation_token: token.confirmation_token } }).catch(() => undefined);
      for (let i = 0; i < 100 && charges() === before; i++) await new Promise((r) => setTimeout(r, 20));
      expect(charges()).toBe(before + 1);
      doomed.child.kill("SIGKILL");
      await doomed.exited;
    } finally {
      sandbox.faults.reset();
    }

    const next = await startInProcess(env, ["--allow-writes"]);
    try {
      expect(next.client.getInstructions()).toMatch(/UNRESOLVED CHARGE: .*viam_charge_organization of 77\.00 USD to org-acme \("Killed"\) at .*may or may not have happened.*viam_get_invoices_summary/);
      const other = await preview(next, { ...args, subtotal: 5, description: "Something else" });
      expect(other.warnings).toEqual([expect.stringMatching(/^WARNING: an earlier attempt got no answer: viam_charge_organization of 77\.00 USD to org-acme/)]);
      const same = await preview(next, args);
      expect(same.warnings).toEqual([expect.stringMatching(/^WARNING, POSSIBLE DOUBLE CHARGE: .*77\.00 USD .*\(sent, no answer: it may or may not have happened\)/)]);
    } finally {
      await next.close();
    }
    const cli = await runCli(["call", "viam_get_available_billing_tiers", "--allow-writes"], env);
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stderr).toMatch(/unresolved charge: viam_charge_organization of 77\.00 USD to org-acme .*Check viam_get_invoices_summary/);
  });
});

describe("the preview looks before asking; the result reads the invoice back", () => {
  it("a charge names the org, its payment method and its payment failures; the result gives the invoice's real state", async () => {
    const server = await writes(auditPath());
    try {
      const args = { org_id_to_charge: "org-fieldworks", subtotal: 12, tax: 0, description: "Looked up" };
      const result = await call(server.client, TOOL, args);
      const checks = (result.structuredContent as { checks: string[] }).checks;
      const fieldworks = sandbox.state.orgs.get("org-fieldworks")!;
      const failed = fieldworks.invoices.filter((i) => i.status !== "paid" && i.failureReason);
      expect(checks).toEqual([
        `Charged organization: ${fieldworks.name} (org-fieldworks).`,
        expect.stringMatching(/^Payment method: US bank account First Prairie Bank ending 6789, UNVERIFIED \(micro-deposits arrive \d{4}-\d\d-\d\d\): a charge may fail\.$/),
        expect.stringContaining(`Payment failures: ${failed.length} unpaid invoice${failed.length === 1 ? "" : "s"} with a failed payment, the latest ${failed[0]!.id}`),
      ]);
      for (const line of checks) expect(textOf(result)).toContain(line);
      // An unverified bank account: the invoice is created but not paid, and the answer says so.
      const done = await confirm(server, args, tokenOf(result));
      const invoiceId = (done.structuredContent as { result: { invoice_id: string; invoice_status: string } }).result;
      expect(invoiceId.invoice_status).toBe(sandbox.state.orgs.get("org-fieldworks")!.invoices.find((i) => i.id === invoiceId.invoice_id)!.status);
      expect(invoiceId.invoice_status).toBe("outstanding");
      expect(textOf(done)).toMatch(new RegExp(`${invoiceId.invoice_id}, outstanding, not paid yet, due \\d{4}-\\d\\d-\\d\\d`));
      // A card pays at once.
      const card = { org_id_to_charge: "org-acme", subtotal: 3, tax: 0, description: "Card" };
      const paid = await confirm(server, card, tokenOf(await call(server.client, TOOL, card)));
      expect(textOf(paid)).toMatch(/: invoice inv_\w+, paid\.$/);
    } finally {
      await server.close();
    }
  });

  it("a tier change shows the current tier and refuses a tier that does not exist; a location change shows who pays now", async () => {
    const server = await writes(auditPath());
    try {
      const tier = await call(server.client, "viam_update_organization_billing_tier", { organization_id: "org-acme", billing_tier: "enterprise" });
      expect((tier.structuredContent as { checks: string[] }).checks).toEqual(["Organization: Acme Robotics (org-acme).", "Tier now: pro; after: enterprise."]);
      const bogus = await call(server.client, "viam_update_organization_billing_tier", { organization_id: "org-acme", billing_tier: "platinum" });
      expect(textOf(bogus)).toMatch(/^Refused: "platinum" is not a billing tier; the available ones are free, pro, business, enterprise\./);
      const location = await call(server.client, "viam_update_location_billing_organization", { location_id: "loc-warehouse", billing_organization_id: "org-fleet" });
      expect((location.structuredContent as { checks: string[] }).checks).toEqual(["Location loc-warehouse is billed now to: Acme Robotics (org-acme); after: Fleet Ops (org-fleet)."]);
      const nowhere = await call(server.client, "viam_update_location_billing_organization", { location_id: "loc-nowhere", billing_organization_id: "org-fleet" });
      expect(textOf(nowhere)).toMatch(/^Refused: Not found: .*loc-nowhere/);
      const unseen = await call(server.client, "viam_send_payment_required_email", { customer_org_id: "org-nowhere", billing_owner_org_id: "org-acme" });
      expect(textOf(unseen)).toMatch(/^Refused: Not found: this API key sees no organization "org-nowhere" \(the customer\)/);
    } finally {
      await server.close();
    }
  });
});
