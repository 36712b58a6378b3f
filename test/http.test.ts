// HTTP mode end to end: the built server over Streamable HTTP on loopback, SDK clients of both
// protocol generations, a real OAuth authorization server (oidc-provider) issuing JWT access
// tokens, and the Viam sandbox as the upstream (what reached it is counted there).
import { mkdtempSync, readFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CallToolResult } from "@modelcontextprotocol/client";
import { generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { liveEnv, runCli, startViamSandbox, textOf } from "./harness.js";
import type { ViamSandbox } from "./harness.js";
import { Client, ClientCredentialsProvider, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { CLIENT_SECRET, CLIENTS, connectHttp, freePort, INITIALIZE, postMcp, startAuthServer, startHttpServer } from "./http-harness.js";
import type { AuthServer, HttpServerProcess } from "./http-harness.js";

const WRITE_TOOLS = ["viam_send_payment_required_email", "viam_update_organization_billing_tier", "viam_update_location_billing_organization", "viam_charge_organization", "viam_create_invoice_and_charge_immediately"];
const CHARGE = { org_id_to_charge: "org-acme", subtotal: 100, tax: 8.25, description: "Setup fee" };
const structured = (r: CallToolResult) => r.structuredContent as Record<string, unknown>;

let sandbox: ViamSandbox;
beforeAll(async () => {
  sandbox = await startViamSandbox();
});
afterAll(async () => {
  await sandbox?.close();
});

describe("serve --http without an authorization server", () => {
  let server: HttpServerProcess;
  beforeAll(async () => {
    server = await startHttpServer(liveEnv(sandbox));
  });
  afterAll(() => server?.close());

  it("answers /healthz and says it runs as one replica", async () => {
    const response = await fetch(`${server.url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: "ok", state: "in-process" });
    expect(server.stderr()).toMatch(/one replica: confirmation tokens, the duplicate rule and the daily cap live in this process/);
  });

  for (const era of ["2025", "2026"] as const) {
    it(`serves a ${era} client: tools listed, a read tool answered from Viam`, async () => {
      const client = await connectHttp(server.mcpUrl, undefined, era);
      try {
        const { tools } = await client.listTools();
        expect(tools.map((t) => t.name)).toContain("viam_list_organizations");
        const before = sandbox.calls.get("GetInvoicesSummary") ?? 0;
        const result = await client.callTool({ name: "viam_get_invoices_summary", arguments: { org_id: "org-acme" } });
        expect(result.isError, textOf(result as CallToolResult)).toBeFalsy();
        expect(structured(result as CallToolResult).sandbox).toBe(false);
        expect(sandbox.calls.get("GetInvoicesSummary") ?? 0).toBe(before + 1);
      } finally {
        await client.close();
      }
    });
  }

  it("refuses a browser Origin that is not loopback (DNS rebinding) and a foreign Host, before any MCP handling", async () => {
    const origin = await postMcp(server.mcpUrl, INITIALIZE, { origin: "http://attacker.example" });
    expect(origin.status).toBe(403);
    expect(await origin.text()).toMatch(/Invalid Origin/);
    // What a rebinding page's request looks like: the attacker's name resolved to 127.0.0.1.
    // (fetch will not send another Host, so node:http does.)
    const host = await new Promise<number | undefined>((resolve, reject) => {
      const req = request(server.mcpUrl, { method: "POST", headers: { host: "attacker.example", "content-type": "application/json", accept: "application/json, text/event-stream" } }, (res) => {
        res.resume();
        resolve(res.statusCode);
      });
      req.on("error", reject);
      req.end(JSON.stringify(INITIALIZE));
    });
    expect(host).toBe(403);
    const loopbackOrigin = await postMcp(server.mcpUrl, INITIALIZE, { origin: "http://localhost:6274" });
    expect(loopbackOrigin.status).toBe(200);
  });

  it("answers a body over the limit with 413 without reading it all", async () => {
    const big = JSON.stringify({ ...INITIALIZE, params: { ...INITIALIZE.params, padding: "x".repeat(2 * 1024 * 1024) } });
    const response = await postMcp(server.mcpUrl, big);
    expect(response.status).toBe(413);
  });

  it("lists write tools only as disabled stubs and has no OAuth metadata", async () => {
    const client = await connectHttp(server.mcpUrl);
    try {
      const { tools } = await client.listTools();
      const charge = tools.find((t) => t.name === "viam_charge_organization");
      expect(charge?.description).toMatch(/^Disabled/);
    } finally {
      await client.close();
    }
    expect((await fetch(`${server.url}/.well-known/oauth-protected-resource`)).status).toBe(404);
  });
});

describe("serve --http refuses unsafe set-ups", () => {
  it("binding beyond loopback without an issuer", async () => {
    const run = await runCli(["serve", "--http", "--host", "0.0.0.0", "--port", "0"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/without an authorization server \(BILLING_MCP_OAUTH_ISSUER\) HTTP mode serves loopback only/);
  });

  it("writes without an issuer", async () => {
    const run = await runCli(["serve", "--http", "--allow-writes", "--port", "0"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/makes no billing changes/);
  });

  it("an issuer without a public URL, and an issuer that cannot be discovered", async () => {
    const noUrl = await runCli(["serve", "--http", "--port", "0"], { BILLING_MCP_OAUTH_ISSUER: "http://127.0.0.1:9" });
    expect(noUrl.code).toBe(2);
    expect(noUrl.stderr).toMatch(/needs BILLING_MCP_PUBLIC_URL/);
    const port = await freePort();
    const unreachable = await runCli(["serve", "--http", "--port", "0"], { BILLING_MCP_OAUTH_ISSUER: `http://127.0.0.1:${port}`, BILLING_MCP_PUBLIC_URL: "http://127.0.0.1:1/mcp" });
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(/no authorization server metadata found/);
  });

  it("--host without --http", async () => {
    const run = await runCli(["serve", "--host", "127.0.0.1"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--host and --port need --http/);
  });
});

describe("serve --http with OAuth", () => {
  let auth: AuthServer;
  let server: HttpServerProcess;
  let publicUrl: string;
  let audit: string;
  let full: string;
  beforeAll(async () => {
    auth = await startAuthServer();
    const port = await freePort();
    publicUrl = `http://127.0.0.1:${port}/mcp`;
    audit = join(mkdtempSync(join(tmpdir(), "billing-mcp-audit-")), "audit.jsonl");
    server = await startHttpServer(liveEnv(sandbox, { BILLING_MCP_OAUTH_ISSUER: auth.issuer, BILLING_MCP_PUBLIC_URL: publicUrl, BILLING_MCP_AUDIT_LOG: audit }), ["--allow-writes"], port);
    full = await auth.token(CLIENTS.alice, publicUrl);
  });
  afterAll(async () => {
    await server?.close();
    await auth?.close();
  });

  const challenge = (response: Response) => response.headers.get("www-authenticate") ?? "";
  const metadataUrl = () => `${new URL(publicUrl).origin}/.well-known/oauth-protected-resource/mcp`;

  it("publishes Protected Resource Metadata (RFC 9728) naming the issuer and the scopes", async () => {
    for (const path of ["/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"]) {
      const response = await fetch(`${server.url}${path}`);
      expect(response.status).toBe(200);
      const body = (await response.json()) as { resource: string; authorization_servers: string[]; scopes_supported: string[] };
      expect(body.resource).toBe(publicUrl);
      expect(body.authorization_servers.map((s) => s.replace(/\/$/, ""))).toEqual([auth.issuer]);
      expect(body.scopes_supported).toEqual(["billing:read", "billing:write"]);
    }
  });

  it("401 with a resource_metadata challenge: no token, garbage, expired, wrongly signed, wrong audience", async () => {
    const expired = await auth.token(CLIENTS.brief, publicUrl);
    const wrongAudience = await auth.token(CLIENTS.alice, "http://127.0.0.1:1/other-mcp");
    const { privateKey } = await generateKeyPair("RS256");
    const forged = await new SignJWT({ scope: "billing:read billing:write", client_id: CLIENTS.alice })
      .setProtectedHeader({ alg: "RS256", typ: "at+jwt" })
      .setIssuer(auth.issuer)
      .setAudience(publicUrl)
      .setSubject(CLIENTS.alice)
      .setIssuedAt()
      .setExpirationTime("5m")
      .sign(privateKey);
    // The brief client's tokens live one second.
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    const cases: [string, Record<string, string>][] = [
      ["missing", {}],
      ["garbage", { authorization: "Bearer not-a-jwt" }],
      ["expired", { authorization: `Bearer ${expired}` }],
      ["wrongly signed", { authorization: `Bearer ${forged}` }],
      ["wrong audience", { authorization: `Bearer ${wrongAudience}` }],
    ];
    for (const [name, headers] of cases) {
      const response = await postMcp(server.mcpUrl, INITIALIZE, headers);
      expect(response.status, name).toBe(401);
      expect(challenge(response), name).toMatch(/^Bearer /);
      expect(challenge(response), name).toContain(`resource_metadata="${metadataUrl()}"`);
    }
    const ok = await postMcp(server.mcpUrl, INITIALIZE, { authorization: `Bearer ${full}` });
    expect(ok.status).toBe(200);
  });

  it("an SDK client with only client credentials finds the authorization server from the 401 (RFC 9728) and gets in", async () => {
    const authProvider = new ClientCredentialsProvider({ clientId: CLIENTS.bob, clientSecret: CLIENT_SECRET, scope: "billing:read", expectedIssuer: auth.issuer });
    const client = new Client({ name: "discovering-client", version: "0.0.0" });
    await client.connect(new StreamableHTTPClientTransport(new URL(server.mcpUrl), { authProvider }));
    try {
      const names = (await client.listTools()).tools.map((t) => t.name);
      expect(names).toContain("viam_get_invoices_summary");
      expect(names).not.toContain("viam_charge_organization");
    } finally {
      await client.close();
    }
  });

  it("403 insufficient_scope for a token without billing:read", async () => {
    const writeOnly = await auth.token(CLIENTS.alice, publicUrl, "billing:write");
    const response = await postMcp(server.mcpUrl, INITIALIZE, { authorization: `Bearer ${writeOnly}` });
    expect(response.status).toBe(403);
    expect(challenge(response)).toMatch(/error="insufficient_scope"/);
    expect(challenge(response)).toMatch(/scope="billing:read"/);
  });

  it("a billing:read token is not shown the write tools, and calling one is 403 insufficient_scope naming billing:write", async () => {
    const readOnly = await auth.token(CLIENTS.alice, publicUrl, "billing:read");
    const client = await connectHttp(server.mcpUrl, readOnly);
    try {
      const { tools } = await client.listTools();
      const names = tools.map((t) => t.name);
      expect(names).toContain("viam_get_invoices_summary");
      for (const name of WRITE_TOOLS) expect(names).not.toContain(name);
    } finally {
      await client.close();
    }
    const before = sandbox.calls.get("ChargeOrganization") ?? 0;
    const call = { jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "viam_charge_organization", arguments: CHARGE } };
    const response = await postMcp(server.mcpUrl, call, { authorization: `Bearer ${readOnly}`, "mcp-protocol-version": "2025-11-25" });
    expect(response.status).toBe(403);
    expect(challenge(response)).toMatch(/error="insufficient_scope"/);
    expect(challenge(response)).toMatch(/scope="billing:read billing:write"/);
    expect(sandbox.calls.get("ChargeOrganization") ?? 0).toBe(before);
  });

  for (const era of ["2025", "2026"] as const) {
    it(`a billing:write token (${era}) previews and confirms a charge; the audit lines name its subject and client`, async () => {
      const client = await connectHttp(server.mcpUrl, full, era);
      try {
        const { tools } = await client.listTools();
        expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(WRITE_TOOLS));
        const args = { ...CHARGE, description: `Setup fee ${era}` };
        const preview = (await client.callTool({ name: "viam_charge_organization", arguments: args })) as CallToolResult;
        expect(structured(preview).status, textOf(preview)).toBe("preview");
        const before = sandbox.calls.get("ChargeOrganization") ?? 0;
        const done = (await client.callTool({ name: "viam_charge_organization", arguments: { ...args, confirm: true, confirmation_token: structured(preview).confirmation_token } })) as CallToolResult;
        expect(structured(done).status, textOf(done)).toBe("executed");
        expect(sandbox.calls.get("ChargeOrganization") ?? 0).toBe(before + 1);
      } finally {
        await client.close();
      }
      const lines = readFileSync(audit, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
      const mine = lines.filter((l) => (l.arguments as Record<string, unknown>).description === `Setup fee ${era}`);
      expect(mine.map((l) => l.outcome)).toEqual(["previewed", "attempt", "executed"]);
      for (const line of mine) expect(line).toMatchObject({ subject: CLIENTS.alice, client_id: CLIENTS.alice });
    });
  }

  it("another subject's token cannot confirm my preview, and I still can", async () => {
    const bob = await auth.token(CLIENTS.bob, publicUrl);
    const alice = await connectHttp(server.mcpUrl, full);
    const mallory = await connectHttp(server.mcpUrl, bob);
    try {
      const args = { ...CHARGE, description: "Bound to its subject" };
      const preview = (await alice.callTool({ name: "viam_charge_organization", arguments: args })) as CallToolResult;
      const confirm = { ...args, confirm: true, confirmation_token: structured(preview).confirmation_token };
      const before = sandbox.calls.get("ChargeOrganization") ?? 0;
      const stolen = (await mallory.callTool({ name: "viam_charge_organization", arguments: confirm })) as CallToolResult;
      expect(stolen.isError).toBe(true);
      expect(textOf(stolen)).toMatch(/issued to another user/);
      expect(sandbox.calls.get("ChargeOrganization") ?? 0).toBe(before);
      const mine = (await alice.callTool({ name: "viam_charge_organization", arguments: confirm })) as CallToolResult;
      expect(structured(mine).status, textOf(mine)).toBe("executed");
      expect(sandbox.calls.get("ChargeOrganization") ?? 0).toBe(before + 1);
    } finally {
      await alice.close();
      await mallory.close();
    }
    const refused = readFileSync(audit, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.outcome === "refused" && l.subject === CLIENTS.bob);
    expect(refused?.reason).toMatch(/issued to another user/);
  });
});
