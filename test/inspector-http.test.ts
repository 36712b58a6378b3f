// An outside client over HTTP: the MCP Inspector CLI (@modelcontextprotocol/inspector-cli, its
// own client on the v1 SDK) against `serve --http` with OAuth, a token from the real
// authorization server passed as its --header, the Viam sandbox upstream.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { liveEnv, startViamSandbox } from "./harness.js";
import type { ViamSandbox } from "./harness.js";
import { CLIENTS, freePort, startAuthServer, startHttpServer } from "./http-harness.js";
import type { AuthServer, HttpServerProcess } from "./http-harness.js";

// Its index.js looks for its package.json relative to the working directory: run it from its build folder.
const INSPECTOR_DIR = dirname(createRequire(import.meta.url).resolve("@modelcontextprotocol/inspector-cli/build/index.js"));

function inspector(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ["index.js", ...args], { cwd: INSPECTOR_DIR, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
}

let sandbox: ViamSandbox;
let auth: AuthServer;
let server: HttpServerProcess;
let token: string;
beforeAll(async () => {
  [sandbox, auth] = await Promise.all([startViamSandbox(), startAuthServer()]);
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}/mcp`;
  server = await startHttpServer(liveEnv(sandbox, { BILLING_MCP_OAUTH_ISSUER: auth.issuer, BILLING_MCP_PUBLIC_URL: publicUrl }), [], port);
  token = await auth.token(CLIENTS.alice, publicUrl, "billing:read");
});
afterAll(async () => {
  await server?.close();
  await auth?.close();
  await sandbox?.close();
});

describe("MCP Inspector CLI over Streamable HTTP", () => {
  it("lists the tools and calls a read tool with a bearer token", async () => {
    const listed = await inspector([server.mcpUrl, "--transport", "http", "--header", `Authorization: Bearer ${token}`, "--method", "tools/list"]);
    expect(listed.code, listed.stderr).toBe(0);
    const names = (JSON.parse(listed.stdout) as { tools: { name: string }[] }).tools.map((t) => t.name);
    expect(names).toContain("viam_get_invoices_summary");
    expect(names).not.toContain("viam_charge_organization");
    const before = sandbox.calls.get("GetInvoicesSummary") ?? 0;
    const called = await inspector([server.mcpUrl, "--transport", "http", "--header", `Authorization: Bearer ${token}`, "--method", "tools/call", "--tool-name", "viam_get_invoices_summary", "--tool-arg", "org_id=org-acme"]);
    expect(called.code, called.stderr).toBe(0);
    expect(JSON.parse(called.stdout)).toMatchObject({ structuredContent: { org_id: "org-acme", sandbox: false } });
    expect(sandbox.calls.get("GetInvoicesSummary") ?? 0).toBe(before + 1);
  });

  it("without a token it is refused (401 invalid_token) and gets no tools", async () => {
    const refused = await inspector([server.mcpUrl, "--transport", "http", "--method", "tools/list"]);
    expect(refused.code).not.toBe(0);
    expect(refused.stdout).not.toContain("viam_get_invoices_summary");
    expect(`${refused.stdout}${refused.stderr}`).toMatch(/invalid_token.*Missing Authorization header/);
  });
});
