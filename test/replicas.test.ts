// Two replicas of the built server behind a round-robin proxy, sharing one real Redis and one
// real authorization server (oidc-provider), each with its own audit log; the Viam sandbox is
// the upstream, and what reached it is counted there.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Client, CallToolResult } from "@modelcontextprotocol/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { liveEnv, startViamSandbox, textOf } from "./harness.js";
import type { ViamSandbox } from "./harness.js";
import { CLIENTS, connectHttp, freePort, startAuthServer, startHttpServer, startRedis, startRoundRobin } from "./http-harness.js";
import type { AuthServer, HttpServerProcess, RedisProcess } from "./http-harness.js";

const structured = (r: CallToolResult) => r.structuredContent as Record<string, unknown>;
const charges = () => sandbox.calls.get("ChargeOrganization") ?? 0;
const auditOf = (path: string) => {
  try {
    return readFileSync(path, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  } catch {
    return [];
  }
};
const callTool = async (client: Client, args: Record<string, unknown>) => (await client.callTool({ name: "viam_charge_organization", arguments: args })) as CallToolResult;

let sandbox: ViamSandbox;
let auth: AuthServer;
let redis: RedisProcess;
let proxy: { url: string; close(): Promise<void> };
const replicas: HttpServerProcess[] = [];
const audits: string[] = [];
let publicUrl: string;
let token: string;
let env: Record<string, string>;

async function startReplica(i: number): Promise<HttpServerProcess> {
  audits[i] = join(mkdtempSync(join(tmpdir(), `billing-mcp-replica-${i}-`)), "audit.jsonl");
  return startHttpServer({ ...env, BILLING_MCP_AUDIT_LOG: audits[i] as string }, ["--allow-writes"]);
}

beforeAll(async () => {
  sandbox = await startViamSandbox();
  [auth, redis] = await Promise.all([startAuthServer(), startRedis()]);
  const port = await freePort();
  publicUrl = `http://127.0.0.1:${port}/mcp`;
  env = liveEnv(sandbox, { BILLING_MCP_OAUTH_ISSUER: auth.issuer, BILLING_MCP_PUBLIC_URL: publicUrl, BILLING_MCP_REDIS_URL: redis.url, BILLING_MCP_MAX_DAILY_CHARGE: "1000" });
  replicas.push(...(await Promise.all([startReplica(0), startReplica(1)])));
  proxy = await startRoundRobin(() => replicas.filter((r) => r.child.exitCode === null && r.child.signalCode === null).map((r) => r.url), port);
  token = await auth.token(CLIENTS.alice, publicUrl);
}, 60_000);
afterAll(async () => {
  await proxy?.close();
  await Promise.all(replicas.map((r) => r.close()));
  await redis?.kill();
  await auth?.close();
  await sandbox?.close();
});

describe("two replicas sharing Redis", () => {
  it("each says it shares its state in Redis", () => {
    for (const replica of replicas) expect(replica.stderr()).toMatch(/replica mode: confirmation tokens, the duplicate rule, the daily cap and unanswered attempts are shared in Redis/);
  });

  it("a preview on one replica is confirmed on the other, and executes exactly once", async () => {
    const [a, b] = await Promise.all([connectHttp(`${replicas[0]?.url}/mcp`, token), connectHttp(`${replicas[1]?.url}/mcp`, token, "2026")]);
    try {
      const args = { org_id_to_charge: "org-acme", subtotal: 100, tax: 8.25, description: "Handed over" };
      const preview = await callTool(a, args);
      expect(structured(preview).status, textOf(preview)).toBe("preview");
      const before = charges();
      const confirm = { ...args, confirm: true, confirmation_token: structured(preview).confirmation_token };
      const done = await callTool(b, confirm);
      expect(structured(done).status, textOf(done)).toBe("executed");
      const again = await callTool(a, confirm);
      expect(textOf(again)).toMatch(/already used/);
      expect(charges()).toBe(before + 1);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
    expect(auditOf(audits[0] as string).some((l) => l.outcome === "previewed" && (l.arguments as Record<string, unknown>).description === "Handed over")).toBe(true);
    expect(auditOf(audits[1] as string).filter((l) => (l.arguments as Record<string, unknown>).description === "Handed over").map((l) => l.outcome)).toEqual(["attempt", "executed"]);
  });

  it("8 concurrent confirmations of one token through the round-robin proxy: exactly one RPC", async () => {
    const clients = await Promise.all(Array.from({ length: 8 }, () => connectHttp(`${proxy.url}/mcp`, token)));
    try {
      const args = { org_id_to_charge: "org-fieldworks", subtotal: 40, tax: 0, description: "Concurrent" };
      const preview = await callTool(clients[0] as Client, args);
      const confirm = { ...args, confirm: true, confirmation_token: structured(preview).confirmation_token };
      const before = charges();
      const results = await Promise.all(clients.map((c) => callTool(c, confirm)));
      expect(results.filter((r) => structured(r)?.status === "executed")).toHaveLength(1);
      expect(results.filter((r) => r.isError && /already used/.test(textOf(r)))).toHaveLength(7);
      expect(charges()).toBe(before + 1);
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
    // The proxy spread them: both replicas saw confirmations.
    for (const path of audits) expect(auditOf(path).some((l) => (l.arguments as Record<string, unknown>).description === "Concurrent" && l.via === "token" && l.outcome !== "previewed")).toBe(true);
  });

  it("the daily cap holds across replicas", async () => {
    const [a, b] = await Promise.all([connectHttp(`${replicas[0]?.url}/mcp`, token), connectHttp(`${replicas[1]?.url}/mcp`, token)]);
    try {
      const first = { org_id_to_charge: "org-orbital", subtotal: 900, tax: 0, description: "Most of the day" };
      const preview = await callTool(a, first);
      const done = await callTool(a, { ...first, confirm: true, confirmation_token: structured(preview).confirmation_token });
      expect(structured(done).status, textOf(done)).toBe("executed");
      const before = charges();
      const more = await callTool(b, { org_id_to_charge: "org-orbital", subtotal: 150, tax: 0, description: "One too many" });
      expect(more.isError).toBe(true);
      expect(textOf(more)).toMatch(/would exceed the daily limit of 1000\.00 USD/);
      expect(charges()).toBe(before);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it("a replica killed mid-charge leaves an unresolved attempt that the other replica reports", async () => {
    const [a, b] = await Promise.all([connectHttp(`${replicas[0]?.url}/mcp`, token), connectHttp(`${replicas[1]?.url}/mcp`, token)]);
    try {
      const args = { org_id_to_charge: "org-fleet", subtotal: 75, tax: 0, description: "Cut off" };
      const preview = await callTool(a, args);
      sandbox.faults.delayMs = 60_000;
      const pending = callTool(a, { ...args, confirm: true, confirmation_token: structured(preview).confirmation_token }).catch((err: unknown) => err);
      await expect.poll(() => auditOf(audits[0] as string).some((l) => l.outcome === "attempt" && (l.arguments as Record<string, unknown>).description === "Cut off"), { timeout: 15_000 }).toBe(true);
      replicas[0]?.child.kill("SIGKILL");
      await replicas[0]?.exited;
      await pending;
      sandbox.faults.delayMs = 0;
      const other = await callTool(b, { ...args, description: "After the crash" });
      expect(structured(other).status, textOf(other)).toBe("preview");
      expect(textOf(other)).toMatch(/WARNING: an earlier attempt got no answer: viam_charge_organization of 75\.00 USD to org-fleet \("Cut off"\)/);
    } finally {
      sandbox.faults.delayMs = 0;
      await Promise.all([a.close().catch(() => undefined), b.close()]);
    }
    replicas[0] = await startReplica(0);
  });

  it("Redis going away: writes refused with a clear error, reads keep working, /healthz says so", async () => {
    const client = await connectHttp(`${replicas[1]?.url}/mcp`, token);
    try {
      await redis.kill();
      const before = charges();
      const preview = await callTool(client, { org_id_to_charge: "org-acme", subtotal: 5, tax: 0, description: "No Redis" });
      expect(preview.isError).toBe(true);
      expect(textOf(preview)).toMatch(/^Refused: the state replicas share \(Redis at 127\.0\.0\.1:\d+, BILLING_MCP_REDIS_URL\) cannot be reached .*Nothing was sent to Viam\. Read tools keep working/);
      const read = (await client.callTool({ name: "viam_get_invoices_summary", arguments: { org_id: "org-acme" } })) as CallToolResult;
      expect(read.isError, textOf(read)).toBeFalsy();
      const health = (await (await fetch(`${replicas[1]?.url}/healthz`)).json()) as Record<string, unknown>;
      expect(health).toMatchObject({ status: "ok", state: "redis" });
      expect(String(health.redis)).toMatch(/^unreachable/);
      expect(charges()).toBe(before);
      await expect.poll(() => replicas[1]?.stderr()).toMatch(/Redis at 127\.0\.0\.1:\d+ unreachable .*billing changes are refused until it is back/);
    } finally {
      await client.close();
    }
  });
});
