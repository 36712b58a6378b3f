// The MCP Bundle as Claude Desktop gets it: built by scripts/mcpb.ts from the built dist/,
// validated and unpacked by @anthropic-ai/mcpb's own CLI, and the server run from the unpacked
// folder over stdio with the command and environment the manifest yields (through the mcpb
// package's own variable substitution): with no user configuration (the sandbox), and with a
// Viam key and default organization entered (the Viam sandbox as if it were the real Viam).
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { getMcpConfigForManifest } from "@anthropic-ai/mcpb";
import type { McpbManifest } from "@anthropic-ai/mcpb";
import { Client } from "@modelcontextprotocol/client";
import { getDefaultEnvironment, StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { allTools } from "../tools/index.js";
import { ORG } from "../src/sandbox/data.js";
import { clockEnv } from "./clock.js";
import { startViamSandbox } from "./harness.js";

const run = promisify(execFile);
const root = resolve(import.meta.dirname, "..");
const MCPB_CLI = join(root, "node_modules", ".bin", "mcpb");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string };
const committed = JSON.parse(readFileSync(join(root, "mcpb", "manifest.json"), "utf8")) as McpbManifest;
const work = mkdtempSync(join(tmpdir(), "billing-mcp-mcpb-test-"));
const bundle = join(work, "billing-mcp.mcpb");
const unpacked = join(work, "unpacked");
let manifest: McpbManifest;

beforeAll(async () => {
  await run(process.execPath, [join(root, "dist", "scripts", "mcpb.js"), bundle], { cwd: root });
  await run(MCPB_CLI, ["unpack", bundle, unpacked]);
  manifest = JSON.parse(readFileSync(join(unpacked, "manifest.json"), "utf8")) as McpbManifest;
}, 120_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Start the server as Claude Desktop would from the unpacked bundle, with `userConfig` entered. */
async function connect(userConfig: Record<string, string>) {
  const config = await getMcpConfigForManifest({ manifest, extensionPath: unpacked, systemDirs: {}, userConfig, pathSeparator: "/" });
  expect(config).toBeDefined();
  const transport = new StdioClientTransport({
    command: config!.command === "node" ? process.execPath : config!.command,
    args: config!.args,
    env: { ...getDefaultEnvironment(), HOME: mkdtempSync(join(work, "home-")), ...clockEnv(), ...config!.env },
    stderr: "ignore",
  });
  const client = new Client({ name: "mcpb-test", version: "0" });
  await client.connect(transport);
  return { client, env: config!.env ?? {} };
}

describe("MCP Bundle", () => {
  it("mcpb validate accepts the packed manifest, and the committed one says the package's version", async () => {
    const { stdout } = await run(MCPB_CLI, ["validate", join(unpacked, "manifest.json")]);
    expect(stdout).toMatch(/validation passes/);
    expect(committed.version).toBe(pkg.version);
    expect(manifest.version).toBe(pkg.version);
    expect(manifest.tools?.map((t) => t.name)).toEqual(allTools.map((t) => t.name));
  });

  it("asks for the Viam key id, key and default org and the Latitude.sh token, the secrets marked sensitive", () => {
    const env = manifest.server.mcp_config.env ?? {};
    const fieldOf = (name: string) => /^\$\{user_config\.(\w+)\}$/.exec(env[name] ?? "")?.[1];
    const asked = Object.fromEntries(["VIAM_API_KEY_ID", "VIAM_API_KEY", "VIAM_ORG_ID", "LATITUDESH_BEARER"].map((v) => [v, manifest.user_config?.[fieldOf(v) ?? ""]]));
    expect(Object.values(asked).every((option) => option?.type === "string" && option.required === false)).toBe(true);
    expect(Object.entries(asked).map(([v, option]) => [v, option?.sensitive === true])).toEqual([
      ["VIAM_API_KEY_ID", true],
      ["VIAM_API_KEY", true],
      ["VIAM_ORG_ID", false],
      ["LATITUDESH_BEARER", true],
    ]);
  });

  it("holds the bundle and nothing else", () => {
    const files = readdirSync(unpacked, { recursive: true, withFileTypes: true }).filter((f) => f.isFile()).map((f) => join(f.parentPath, f.name).slice(unpacked.length + 1)).sort();
    expect(files.filter((f) => !/^dist\/src\/chunks\/[\w.-]+\.js$/.test(f))).toEqual(["dist/src/app/spend.html", "dist/src/cli.js", "manifest.json", "package.json"]);
  });

  it("runs from the unpacked bundle with nothing entered: the sandbox, every field left empty rather than a literal placeholder", async () => {
    const { client, env } = await connect({});
    try {
      expect(Object.values(env).filter((v) => v !== "")).toEqual([]);
      expect(client.getServerVersion()?.version).toBe(pkg.version);
      expect(client.getInstructions()).toMatch(/SANDBOX MODE/);
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name).sort()).toEqual(allTools.map((t) => t.name).sort());
      const result = await client.callTool({ name: "viam_get_invoices_summary", arguments: { org_id: ORG.acme } });
      expect(result.isError).toBeFalsy();
      expect(result.structuredContent).toMatchObject({ org_id: ORG.acme, sandbox: true });
    } finally {
      await client.close();
    }
  });

  it("passes what the user entered to the server: a Viam key and a default organization", async () => {
    const viam = await startViamSandbox();
    // VIAM_SERVICE_HOST is not asked for (users talk to app.viam.com): point it at the sandbox here.
    manifest.server.mcp_config.env = { ...manifest.server.mcp_config.env, VIAM_SERVICE_HOST: viam.url };
    const { client } = await connect({ viam_api_key_id: viam.apiKeyId, viam_api_key: viam.apiKey, viam_org_id: ORG.fieldworks });
    try {
      const result = await client.callTool({ name: "viam_get_invoices_summary", arguments: {} });
      expect(result.isError).toBeFalsy();
      expect(result.structuredContent).toMatchObject({ org_id: ORG.fieldworks, sandbox: false });
      expect(viam.calls.get("GetInvoicesSummary")).toBe(1);
    } finally {
      await client.close();
      await viam.close();
    }
  });
});
