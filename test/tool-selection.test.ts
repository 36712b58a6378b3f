// --tools / BILLING_MCP_TOOLS: the server lists and serves exactly the selection; a bad
// selection stops it at start-up with exit status 2 and one line on stderr; the CLI's
// `tools` and `call` honour the same selection.
import { describe, expect, it } from "vitest";
import type { ToolDefinition } from "../src/mcp/tool-definition.js";
import { selectTools, UsageError } from "../src/mcp/tool-selection.js";
import { allTools } from "../tools/index.js";
import { call, runCli, textOf } from "./harness.js";
import { startInProcess } from "./in-process.js";

const names = (tools: readonly { name: string }[]) => tools.map((t) => t.name);
const USAGE = "viam_get_current_month_usage";
const INVOICES = "viam_get_invoices_summary";
const TIERS = "viam_get_available_billing_tiers";

describe("selectTools", () => {
  // A stand-in write tool, so the write rules are checked whatever tools/ holds today.
  const fakeWrite = { ...allTools[0]!, name: "viam_fake_charge", access: "write" } as ToolDefinition;
  const catalogue = [...allTools, fakeWrite];

  it("all (the default) is every read tool, plus write tools only with writes allowed", () => {
    expect(names(selectTools(catalogue, { spec: undefined, allowWrites: false }))).toEqual(names(allTools.filter((t) => t.access === "read")));
    expect(names(selectTools(catalogue, { spec: "all", allowWrites: true }))).toContain("viam_fake_charge");
    expect(names(selectTools(catalogue, { spec: "read-only", allowWrites: true }))).not.toContain("viam_fake_charge");
  });

  it("keeps the catalogue's order and ignores repeats and blanks", () => {
    expect(names(selectTools(catalogue, { spec: ` ${TIERS},,${USAGE},${TIERS} `, allowWrites: false }))).toEqual([USAGE, TIERS]);
  });

  const refusals: [string, string | undefined, boolean, RegExp][] = [
    ["an unknown name", "viam_nope", false, /^--tools: "viam_nope" is not a tool\. Valid: all, read-only, viam_/],
    ["an empty list", " , ", false, /^--tools is empty: name tools, or use all or read-only\.$/],
    ["a write tool without writes", `${USAGE},viam_fake_charge`, false, /^--tools: "viam_fake_charge" changes billing and needs --allow-writes \(or BILLING_MCP_ALLOW_WRITES=true\)\.$/],
  ];
  for (const [what, spec, allowWrites, message] of refusals) {
    it(`refuses ${what} with one line naming it and what to do`, () => {
      expect(() => selectTools(catalogue, { spec, allowWrites })).toThrow(UsageError);
      expect(() => selectTools(catalogue, { spec, allowWrites })).toThrow(message);
    });
  }

  it("names the variable when the selection came from BILLING_MCP_TOOLS", () => {
    expect(() => selectTools(catalogue, { spec: "viam_nope", allowWrites: false, source: "BILLING_MCP_TOOLS" })).toThrow(/^BILLING_MCP_TOOLS: "viam_nope" is not a tool/);
  });
});

describe("server start-up refuses a bad selection: exit 2, one line on stderr, nothing on stdout", () => {
  const cases: [string, string[], Record<string, string>, RegExp][] = [
    ["an unknown tool in --tools", ["--tools", `${USAGE},viam_nope`], {}, /^billing-mcp: --tools: "viam_nope" is not a tool\. Valid: all, read-only, .*\.$/],
    ["an empty --tools", ["--tools", ""], {}, /^billing-mcp: --tools is empty: name tools, or use all or read-only\.$/],
    ["an unknown tool in BILLING_MCP_TOOLS", [], { BILLING_MCP_TOOLS: "nope" }, /^billing-mcp: BILLING_MCP_TOOLS: "nope" is not a tool\./],
    ["--tools without a value", ["--tools"], {}, /^billing-mcp: Option '--tools <value>' argument missing; see billing-mcp --help$/],
  ];
  // Runs once tools/ has a write tool; until then selectTools' write rule is checked above.
  const write = allTools.find((t) => t.access === "write");
  if (write) {
    cases.push(["a write tool without --allow-writes", ["--tools", write.name], {}, new RegExp(`^billing-mcp: --tools: "${write.name}" changes billing and needs --allow-writes`)]);
    cases.push(["a write tool in BILLING_MCP_TOOLS without writes", [], { BILLING_MCP_TOOLS: write.name }, new RegExp(`^billing-mcp: BILLING_MCP_TOOLS: "${write.name}" changes billing`)]);
  }
  for (const [what, args, env, message] of cases) {
    it(what, async () => {
      const run = await runCli(args, env);
      expect(run.code).toBe(2);
      expect(run.stdout).toBe("");
      expect(run.stderr.split("\n")).toHaveLength(2);
      expect(run.stderr.trimEnd()).toMatch(message);
    });
  }
});

describe("a server with a selection", () => {
  it("lists only the chosen tools, and an unselected tool cannot be called", async () => {
    const server = await startInProcess({}, ["--tools", `${TIERS},${INVOICES}`]);
    try {
      expect(names((await server.client.listTools()).tools)).toEqual([INVOICES, TIERS]);
      await expect(call(server.client, USAGE, { org_id: "org-acme" })).rejects.toThrow(new RegExp(`Tool ${USAGE} not found`));
      const served = await call(server.client, TIERS);
      expect(served.isError, textOf(served)).toBeFalsy();
    } finally {
      await server.close();
    }
  });

  it("takes BILLING_MCP_TOOLS, and --tools wins over it", async () => {
    const fromEnv = await startInProcess({ BILLING_MCP_TOOLS: USAGE });
    try {
      expect(names((await fromEnv.client.listTools()).tools)).toEqual([USAGE]);
    } finally {
      await fromEnv.close();
    }
    const both = await startInProcess({ BILLING_MCP_TOOLS: USAGE }, ["--tools", TIERS]);
    try {
      expect(names((await both.client.listTools()).tools)).toEqual([TIERS]);
    } finally {
      await both.close();
    }
  });
});

describe("the CLI with a selection", () => {
  it("tools lists only the selection", async () => {
    const run = await runCli(["tools", "--tools", `${TIERS},${USAGE}`]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.trimEnd().split("\n").map((l) => l.split(/\s+/)[0])).toEqual([USAGE, TIERS]);
  });

  it("call runs a selected tool", async () => {
    const run = await runCli(["call", TIERS], { BILLING_MCP_TOOLS: TIERS });
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ tiers: expect.arrayContaining(["free"]) });
  });

  it("call refuses an unselected tool as bad usage, naming the selection", async () => {
    const run = await runCli(["call", USAGE, "--tools", TIERS]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe(`billing-mcp: "${USAGE}" is not selected by --tools (${TIERS}); add it there\n`);
  });

  it("a bad selection stops tools and call too", async () => {
    for (const args of [["tools", "--tools", "nope"], ["call", TIERS, "--tools", "nope"]]) {
      const run = await runCli(args);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/^billing-mcp: --tools: "nope" is not a tool\./);
    }
  });
});
