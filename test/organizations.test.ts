// Organizations without guessing (issue 14, part 6), through a real MCP client against the
// sandbox: the org directory (AppService/ListOrganizations through @viamrobotics/sdk's app
// client, once per process), viam_list_organizations, names in answers, omitted org_id.
// Names and ids come from the sandbox's own data, never copied here.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSandboxState, ORG } from "../src/sandbox/data.js";
import { call, liveEnv, startViamSandbox, textOf } from "./harness.js";
import type { ViamSandbox } from "./harness.js";
import { testClock } from "./clock.js";
import { startInProcess } from "./in-process.js";
import type { InProcessServer } from "./in-process.js";

type Structured = Record<string, unknown>;
interface Listed {
  organizations: { id: string; name: string; is_default: boolean }[];
  default_org_id: string | null;
  default_source: string | null;
}

const label = (sandbox: ViamSandbox, id: string) => `${sandbox.state.orgs.get(id)!.name} (${id})`;

async function ok(server: InProcessServer, name: string, args: Record<string, unknown> = {}) {
  const result = await call(server.client, name, args);
  expect(result.isError, textOf(result)).toBeFalsy();
  return { structured: result.structuredContent as Structured, text: textOf(result) };
}

/** A sandbox whose key sees `visibleOrgIds` (default: all), and a server pointed at it as at Viam. */
function useLiveLike(visibleOrgIds?: string[], env: Record<string, string> = {}) {
  const fx = {} as { sandbox: ViamSandbox; server: InProcessServer };
  beforeAll(async () => {
    fx.sandbox = await startViamSandbox(visibleOrgIds ? { visibleOrgIds } : {});
    fx.server = await startInProcess(liveEnv(fx.sandbox, { BILLING_MCP_OUTPUT_SCHEMAS: "true", ...env }));
  });
  afterAll(async () => {
    await fx.server?.close();
    await fx.sandbox?.close();
  });
  return fx;
}

describe("a key that sees every sandbox org, no VIAM_ORG_ID", () => {
  const fx = useLiveLike();

  it("viam_list_organizations lists every org the key is a member of, with names, and no default", async () => {
    const { structured, text } = await ok(fx.server, "viam_list_organizations");
    const listed = structured as unknown as Listed;
    expect(listed.organizations).toEqual(fx.sandbox.visibleOrgIds.map((id) => ({ id, name: fx.sandbox.state.orgs.get(id)!.name, is_default: false })));
    // Members but not owners are listed too; empty orgs as well.
    expect(listed.organizations.map((o) => o.id)).toEqual(expect.arrayContaining([ORG.restricted, ORG.empty]));
    expect(listed.default_org_id).toBeNull();
    for (const id of fx.sandbox.visibleOrgIds) expect(text).toContain(`- ${label(fx.sandbox, id)}`);
    expect(text).toMatch(/No default: pass org_id, or set VIAM_ORG_ID/);
  });

  it("answers about one org give its name, in structuredContent and in the text header", async () => {
    const usage = await ok(fx.server, "viam_get_current_month_usage", { org_id: ORG.acme });
    expect(usage.structured.org_name).toBe(fx.sandbox.state.orgs.get(ORG.acme)!.name);
    expect(usage.text).toContain(`Viam usage, org ${label(fx.sandbox, ORG.acme)},`);
    const invoices = await ok(fx.server, "viam_get_invoices_summary", { org_id: ORG.fieldworks, limit: 1 });
    expect(invoices.text).toContain(`Viam invoices, org ${label(fx.sandbox, ORG.fieldworks)}:`);
    const billing = await ok(fx.server, "viam_get_org_billing_information", { org_id: ORG.orbital });
    expect(billing.structured.org_name).toBe(fx.sandbox.state.orgs.get(ORG.orbital)!.name);
    expect(billing.text).toContain(`Viam billing, org ${label(fx.sandbox, ORG.orbital)}:`);
  });

  it("an omitted org_id is refused with every org (id and name) and how to choose; nothing is fetched", async () => {
    const before = fx.sandbox.calls.get("GetCurrentMonthUsage") ?? 0;
    const result = await call(fx.server.client, "viam_get_current_month_usage");
    expect(result.isError).toBe(true);
    const text = textOf(result);
    expect(text).toMatch(/^org_id is required: this API key sees \d+ organizations: /);
    expect(text).toContain(`sees ${fx.sandbox.visibleOrgIds.length} organizations`);
    for (const id of fx.sandbox.visibleOrgIds) expect(text).toContain(label(fx.sandbox, id));
    expect(text).toMatch(/pass org_id, or set VIAM_ORG_ID/);
    expect(fx.sandbox.calls.get("GetCurrentMonthUsage") ?? 0).toBe(before);
  });

  it("billing_spend_overview covers every org the key sees by default, each Viam row named", async () => {
    const { structured, text } = await ok(fx.server, "billing_spend_overview", { latitude_projects: [] });
    const rows = structured.rows as { id: string; name: string | null; error: string | null }[];
    expect(rows.map((r) => r.id)).toEqual(fx.sandbox.visibleOrgIds);
    expect(rows.map((r) => r.name)).toEqual(fx.sandbox.visibleOrgIds.map((id) => fx.sandbox.state.orgs.get(id)!.name));
    // The key is a member of org-restricted but not an owner: its row fails and says why, named all the same.
    const restricted = rows.find((r) => r.id === ORG.restricted)!;
    expect(restricted.error).toMatch(/^Permission denied/);
    expect(text).toContain(`Viam ${label(fx.sandbox, ORG.restricted)}: FAILED: Permission denied`);
    expect(rows.filter((r) => r.error !== null)).toHaveLength(1);
  });

  it("a not-found org names viam_list_organizations; a not-found invoice names viam_get_invoices_summary", async () => {
    const org = await call(fx.server.client, "viam_get_current_month_usage", { org_id: "org-does-not-exist" });
    expect(org.isError).toBe(true);
    expect(textOf(org)).toMatch(/^Not found: usage of org "org-does-not-exist".*viam_list_organizations/);
    const invoice = await call(fx.server.client, "viam_get_invoice_pdf", { org_id: ORG.acme, invoice_id: "inv_nope" });
    expect(invoice.isError).toBe(true);
    expect(textOf(invoice)).toMatch(/^Not found: PDF of invoice "inv_nope".*viam_get_invoices_summary/);
    expect(textOf(invoice)).not.toContain("viam_list_organizations");
  });

  it("all of the above cost one ListOrganizations RPC", () => {
    expect(fx.sandbox.calls.get("ListOrganizations")).toBe(1);
  });
});

describe("the org listing, once per process", () => {
  let sandbox: ViamSandbox;
  beforeAll(async () => {
    sandbox = await startViamSandbox();
  });
  afterAll(async () => {
    await sandbox?.close();
  });

  it("concurrent first callers share one RPC; later calls use the cached list", async () => {
    const server = await startInProcess(liveEnv(sandbox));
    try {
      const before = sandbox.calls.get("ListOrganizations") ?? 0;
      sandbox.faults.listOrganizationsDelayMs = 300;
      const ids = [ORG.acme, ORG.fieldworks, ORG.orbital, ORG.fleet, ORG.empty];
      const results = await Promise.all(ids.map((org_id) => call(server.client, "viam_get_org_billing_information", { org_id })));
      expect(results.map((r) => (r.structuredContent as Structured).org_name)).toEqual(ids.map((id) => sandbox.state.orgs.get(id)!.name));
      sandbox.faults.reset();
      await ok(server, "viam_list_organizations");
      await ok(server, "viam_get_current_month_usage", { org_id: ORG.acme });
      expect((sandbox.calls.get("ListOrganizations") ?? 0) - before).toBe(1);
    } finally {
      await server.close();
    }
  });

  it("a failed listing does not fail the call (the id stands alone) and is not kept: the next call lists again", async () => {
    const server = await startInProcess(liveEnv(sandbox));
    try {
      const before = sandbox.calls.get("ListOrganizations") ?? 0;
      sandbox.faults.listOrganizationsFailNext = 1;
      const first = await ok(server, "viam_get_current_month_usage", { org_id: ORG.acme });
      expect(first.structured.org_name).toBeNull();
      expect(first.text).toContain(`Viam usage, org ${ORG.acme},`);
      const second = await ok(server, "viam_get_current_month_usage", { org_id: ORG.acme });
      expect(second.text).toContain(`Viam usage, org ${label(sandbox, ORG.acme)},`);
      expect((sandbox.calls.get("ListOrganizations") ?? 0) - before).toBe(2);
    } finally {
      sandbox.faults.reset();
      await server.close();
    }
  });
});

describe("a key that sees exactly one org", () => {
  const fx = useLiveLike([ORG.orbital]);

  it("org_id may be omitted: the only org is the default, named", async () => {
    const usage = await ok(fx.server, "viam_get_current_month_usage");
    expect(usage.structured.org_id).toBe(ORG.orbital);
    expect(usage.text).toContain(`org ${label(fx.sandbox, ORG.orbital)}`);
    const listed = (await ok(fx.server, "viam_list_organizations")).structured as unknown as Listed;
    expect(listed).toMatchObject({ default_org_id: ORG.orbital, default_source: "only organization" });
    expect(listed.organizations).toEqual([{ id: ORG.orbital, name: fx.sandbox.state.orgs.get(ORG.orbital)!.name, is_default: true }]);
    const overview = (await ok(fx.server, "billing_spend_overview", { latitude_projects: [] })).structured;
    expect((overview.rows as { id: string }[]).map((r) => r.id)).toEqual([ORG.orbital]);
  });

  it("an org the key is not a member of is refused", async () => {
    const result = await call(fx.server.client, "viam_get_current_month_usage", { org_id: ORG.acme });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/^Permission denied/);
  });
});

describe("a key that sees no org", () => {
  const fx = useLiveLike([]);

  it("an omitted org_id says the key sees none and how to choose", async () => {
    const result = await call(fx.server.client, "viam_get_invoices_summary");
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/^org_id is required: this API key sees no organizations; pass org_id, or set VIAM_ORG_ID/);
  });
});

describe("VIAM_ORG_ID with a key that sees many orgs", () => {
  const fx = useLiveLike(undefined, { VIAM_ORG_ID: ORG.fieldworks });

  it("is the default, and the list says so", async () => {
    const invoices = await ok(fx.server, "viam_get_invoices_summary", { limit: 1 });
    expect(invoices.structured.org_id).toBe(ORG.fieldworks);
    expect(invoices.text).toContain(`org ${label(fx.sandbox, ORG.fieldworks)}`);
    const listed = (await ok(fx.server, "viam_list_organizations")).structured as unknown as Listed;
    expect(listed).toMatchObject({ default_org_id: ORG.fieldworks, default_source: "VIAM_ORG_ID" });
    expect(listed.organizations.filter((o) => o.is_default).map((o) => o.id)).toEqual([ORG.fieldworks]);
  });
});

describe("embedded sandbox (no credentials)", () => {
  const names = createSandboxState(testClock()).orgs;

  it("a newcomer's first question works: org-acme is the default, said in the instructions", async () => {
    const embedded = await startInProcess({});
    try {
      expect(embedded.client.getInstructions()).toContain(`Default organization: ${ORG.acme}`);
      expect(embedded.client.getInstructions()).toContain("viam_list_organizations");
      const usage = await ok(embedded, "viam_get_current_month_usage");
      expect(usage.structured).toMatchObject({ org_id: ORG.acme, org_name: names.get(ORG.acme)!.name, sandbox: true });
      const listed = (await ok(embedded, "viam_list_organizations")).structured as unknown as Listed;
      expect(listed.organizations.map((o) => o.id)).toEqual([...names.keys()]);
      expect(listed).toMatchObject({ default_org_id: ORG.acme, default_source: "sandbox" });
    } finally {
      await embedded.close();
    }
  });
});
