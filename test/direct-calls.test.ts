// The stdio backend answers plain read-tool calls without the SDK's protocol layer
// (src/direct-calls.ts). What it answers must be byte for byte what the SDK path answers,
// and whatever is not plain must still reach the SDK (its errors, its element limit).
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBackend } from "../src/backend.js";
import type { Backend } from "../src/front.js";
import { loadConfig } from "../src/config.js";
import { REPLAY_ID } from "../src/front.js";
import { ORG } from "../src/sandbox/data.js";
import { liveEnv, startViamSandbox } from "./harness.js";
import type { ViamSandbox } from "./harness.js";

let sandbox: ViamSandbox;
let backend: Backend;
const sent: JSONRPCMessage[] = [];
const quiet = { log: () => undefined };

beforeAll(async () => {
  sandbox = await startViamSandbox();
  const config = loadConfig({ ...liveEnv(sandbox), HOME: "/nonexistent" });
  backend = await startBackend({ config, logger: quiet, toolSpec: undefined, toolSource: "--tools", allowWrites: false }, (m) => void sent.push(m));
  backend.deliver({ jsonrpc: "2.0", id: REPLAY_ID, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "test", version: "0" } } });
  backend.deliver({ jsonrpc: "2.0", method: "notifications/initialized" });
});
afterAll(async () => {
  await backend?.close();
  await sandbox?.close();
});

let nextId = 1;
/** One tools/call through the backend; its response, as sent (serialized). */
async function callRaw(params: Record<string, unknown>): Promise<{ json: string; id: number }> {
  const id = nextId++;
  backend.deliver({ jsonrpc: "2.0", id, method: "tools/call", params } as JSONRPCMessage);
  for (let i = 0; i < 500; i++) {
    const response = sent.find((m) => "id" in m && m.id === id);
    if (response) return { json: JSON.stringify(response), id };
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`no response to ${id}`);
}

describe("read-tool calls answered without the SDK's protocol layer", () => {
  it("send the same bytes as the SDK path", async () => {
    const args = { org_id: ORG.acme };
    const direct = await callRaw({ name: "viam_get_current_month_usage", arguments: args });
    // _meta the direct path does not know sends the call through the SDK.
    const viaSdk = await callRaw({ name: "viam_get_current_month_usage", arguments: args, _meta: { "example.com/trace": "1" } });
    expect(direct.json.replace(`"id":${direct.id}`, "")).toBe(viaSdk.json.replace(`"id":${viaSdk.id}`, ""));
    expect(JSON.parse(direct.json).result.isError).toBeUndefined();
  });

  it("leave arguments the schema refuses, unknown tools and disabled writes to the SDK's errors", async () => {
    const badArgs = JSON.parse((await callRaw({ name: "viam_get_current_month_usage", arguments: { org_id: 5 } })).json);
    expect(badArgs.result.isError).toBe(true);
    expect(badArgs.result.content[0].text).toMatch(/Input validation error: Invalid arguments for tool viam_get_current_month_usage/);
    const unknown = JSON.parse((await callRaw({ name: "no_such_tool", arguments: {} })).json);
    expect(unknown.result.content[0].text).toMatch(/Tool no_such_tool not found/);
    const write = JSON.parse((await callRaw({ name: "viam_charge_organization", arguments: { org_id: ORG.acme, amount_usd: 1 } })).json);
    expect(write.result.content[0].text).toMatch(/changes billing and is disabled/);
  });

  it("leave nested arguments to the SDK (its element limit applies)", async () => {
    const many = Object.fromEntries(Array.from({ length: 1_001 }, (_, i) => [`k${i}`, i]));
    const nested = JSON.parse((await callRaw({ name: "viam_get_current_month_usage", arguments: { org_id: ORG.acme, extra: many } })).json);
    expect(nested.result.isError).toBe(true);
    expect(nested.result.content[0].text).toMatch(/more than the maximum of 1000 elements/);
  });
});
