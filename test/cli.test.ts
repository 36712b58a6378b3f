// The one-shot CLI (`tools`, `call`), --help and --version, run as a user runs them: the
// built dist/src/cli.js in a child process. Figures are checked against the sandbox's data.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { allTools } from "../tools/index.js";
import { ORG, orgSubtotal } from "../src/sandbox/data.js";
import { liveEnv, runCli, startViamSandbox } from "./harness.js";
import type { ViamSandbox } from "./harness.js";

const root = resolve(import.meta.dirname, "..");
const pkg = JSON.parse(readFileSync(resolve(root, "package.json"), "utf8")) as { version: string };

let sandbox: ViamSandbox;
beforeAll(async () => {
  sandbox = await startViamSandbox();
});
afterAll(async () => {
  await sandbox?.close();
});

describe("--version and --help", () => {
  it("--version prints package.json's version and nothing else", async () => {
    const run = await runCli(["--version"]);
    expect(run).toEqual({ code: 0, stdout: `${pkg.version}\n`, stderr: "" });
  });

  it("--help documents every flag and command", async () => {
    const { code, stdout } = await runCli(["--help"]);
    expect(code).toBe(0);
    for (const flag of ["--allow-writes", "--tools", "--args", "--text", "--help", "--version"]) expect(stdout).toContain(flag);
    for (const command of ["billing-mcp tools", "billing-mcp call TOOL", "billing-mcp [serve]"]) expect(stdout).toContain(command);
  });

  it("--help and README's configuration table name the same variables", async () => {
    const variables = (text: string) => new Set(text.match(/\b(?:VIAM|LATITUDESH|BILLING_MCP)_[A-Z0-9_]+\b/g));
    const readme = readFileSync(resolve(root, "README.md"), "utf8");
    const table = readme.split("## Configuration")[1]?.split("\n## ")[0] ?? "";
    const rows = table.split("\n").filter((line) => line.startsWith("| `"));
    const fromReadme = variables(rows.map((row) => row.split("|")[1]).join(" "));
    const { stdout } = await runCli(["--help"]);
    const fromHelp = variables(stdout.split("Environment:")[1] ?? "");
    expect([...fromHelp].sort()).toEqual([...fromReadme].sort());
    for (const name of ["LATITUDESH_BEARER", "BILLING_MCP_ALLOW_WRITES", "BILLING_MCP_MAX_CHARGE", "BILLING_MCP_AUDIT_LOG", "BILLING_MCP_CONFIRM_TTL_SECONDS", "BILLING_MCP_TOOLS"]) {
      expect(fromHelp).toContain(name);
    }
  });
});

describe("BILLING_MCP_NOW", () => {
  it("pins the clock: a call answers as of that instant", async () => {
    const { code, stdout, stderr } = await runCli(["call", "billing_spend_overview", "--args", '{"latitude_projects":[]}'], { BILLING_MCP_NOW: "2028-02-29T12:00:00Z" });
    expect(code, stderr).toBe(0);
    const overview = JSON.parse(stdout) as { as_of: string; rows: { period_start: string; period_end: string }[] };
    expect(overview.as_of.slice(0, 13)).toBe("2028-02-29T12");
    expect(overview.rows.map((r) => [r.period_start, r.period_end])).toContainEqual(["2028-02-01", "2028-03-01"]);
  });

  it("a value that is not an instant with a zone stops start-up with one line", async () => {
    for (const value of ["tomorrow", "2026-12-01T00:00:00"]) {
      const { code, stdout, stderr } = await runCli(["serve"], { BILLING_MCP_NOW: value });
      expect(code).toBe(1);
      expect(stdout).toBe("");
      expect(stderr.trim().split("\n")).toEqual([expect.stringMatching(/BILLING_MCP_NOW must be an ISO date-time with a time zone/)]);
    }
  });
});

describe("BILLING_MCP_CONFIRM_TTL_SECONDS", () => {
  it("a value out of range stops start-up with one line stating the range", async () => {
    for (const value of ["0.001", "1000000000", "0", "-5", "soon"]) {
      const { code, stdout, stderr } = await runCli(["serve"], { BILLING_MCP_CONFIRM_TTL_SECONDS: value });
      expect(code, value).toBe(1);
      expect(stdout).toBe("");
      expect(stderr.trim().split("\n")).toEqual([`billing-mcp: BILLING_MCP_CONFIRM_TTL_SECONDS must be a number of seconds from 1 to 3600; got "${value}".`]);
    }
  });
});

describe("billing-mcp tools", () => {
  it("lists every served tool with read/write and title; write tools only with --allow-writes", async () => {
    const reads = await runCli(["tools"]);
    expect(reads.code, reads.stderr).toBe(0);
    expect(reads.stdout.trimEnd().split("\n").map((l) => l.split(/\s+/)[0])).toEqual(allTools.filter((t) => t.access === "read").map((t) => t.name));
    const { code, stdout, stderr } = await runCli(["tools", "--allow-writes"]);
    expect(code, stderr).toBe(0);
    const lines = stdout.trimEnd().split("\n");
    expect(lines.map((l) => l.split(/\s+/)[0])).toEqual(allTools.map((t) => t.name));
    for (const tool of allTools) {
      expect(lines.find((l) => l.startsWith(`${tool.name} `))).toMatch(new RegExp(`\\s${tool.access}\\s+${tool.title.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`));
    }
  });
});

describe("billing-mcp call", () => {
  it("prints the tool's structuredContent as JSON on stdout, exit 0", async () => {
    const run = await runCli(["call", "viam_get_current_month_usage", "--args", JSON.stringify({ org_id: ORG.acme })], liveEnv(sandbox));
    expect(run.code, run.stderr).toBe(0);
    const structured = JSON.parse(run.stdout) as { org_id: string; subtotal: number; sandbox: boolean };
    expect(structured.org_id).toBe(ORG.acme);
    expect(structured.subtotal).toBeCloseTo(orgSubtotal(sandbox.state.orgs.get(ORG.acme)!), 2);
    expect(structured.sandbox).toBe(false);
  });

  it("--text prints the text rendering instead", async () => {
    const run = await runCli(["call", "viam_get_invoices_summary", "--text", "--args", JSON.stringify({ org_id: ORG.acme, limit: 2 })], liveEnv(sandbox));
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.startsWith(`Viam invoices, org ${sandbox.state.orgs.get(ORG.acme)!.name} (${ORG.acme}): outstanding balance `)).toBe(true);
    expect(() => JSON.parse(run.stdout)).toThrow();
  });

  it("with no credentials it serves the embedded sandbox and says so", async () => {
    const run = await runCli(["call", "viam_get_available_billing_tiers", "--text"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^SANDBOX DATA/);
  });

  it("a tool error: exit 1, its message on stderr, nothing on stdout", async () => {
    const run = await runCli(["call", "viam_get_current_month_usage", "--args", '{"org_id":"org-nope"}'], liveEnv(sandbox));
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(/^Not found: usage of org "org-nope"/m);
  });

  it("arguments the tool's schema refuses are a tool error (exit 1), as over MCP", async () => {
    const run = await runCli(["call", "viam_get_invoices_summary", "--args", '{"org_id":"org-acme","limit":0}'], liveEnv(sandbox));
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/Input validation error.*limit/s);
  });

  const usageCases: [string, string[], RegExp][] = [
    ["an unknown tool", ["call", "viam_nope"], /^billing-mcp: "viam_nope" is not a tool; billing-mcp tools lists them$/],
    ["bad JSON in --args", ["call", "viam_get_invoices_summary", "--args", "{org_id:"], /^billing-mcp: --args is not valid JSON \(.+\); pass an object/],
    ["--args that is not an object", ["call", "viam_get_invoices_summary", "--args", "[1]"], /^billing-mcp: --args must be a JSON object/],
    ["an unknown flag", ["call", "viam_get_invoices_summary", "--org", "x"], /^billing-mcp: Unknown option '--org'.*see billing-mcp --help$/],
    ["an unknown command", ["frobnicate"], /^billing-mcp: unknown command "frobnicate"/],
    ["call without a tool", ["call"], /^billing-mcp: call needs a tool name/],
    ["a second positional", ["call", "viam_get_invoices_summary", "org-acme"], /^billing-mcp: unexpected argument "org-acme"/],
    ["--args without call", ["tools", "--args", "{}"], /^billing-mcp: --args and --text go with call/],
  ];
  for (const [what, args, message] of usageCases) {
    it(`bad usage, exit 2 and one line on stderr: ${what}`, async () => {
      const run = await runCli(args);
      expect(run.code).toBe(2);
      expect(run.stdout).toBe("");
      expect(run.stderr.split("\n")).toHaveLength(2); // one line and its newline
      expect(run.stderr.trimEnd()).toMatch(message);
    });
  }
});
