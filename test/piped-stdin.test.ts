// A pipeline that writes its requests and closes stdin at once gets every answer.
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SERVER_ENTRY } from "./harness.js";

/** Start the server (sandbox mode), write `lines` and close its stdin; its exit code and stdout. */
async function pipeThrough(lines: object[]): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, [SERVER_ENTRY], {
    env: { PATH: process.env.PATH ?? "", HOME: mkdtempSync(join(tmpdir(), "billing-mcp-pipe-")) },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stdin.end(lines.map((l) => JSON.stringify(l)).join("\n") + "\n");
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  return { code, out };
}

describe("requests piped in before stdin closes", () => {
  it("are all answered before the server exits 0", async () => {
    const lines = [
      { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "pipe", version: "0" } } },
      { jsonrpc: "2.0", method: "notifications/initialized" },
      { jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "viam_get_available_billing_tiers", arguments: {} } },
      { jsonrpc: "2.0", id: 3, method: "tools/call", params: { name: "viam_get_current_month_usage", arguments: { org_id: "org-acme" } } },
    ];
    const { code, out } = await pipeThrough(lines);
    expect(code).toBe(0);
    const answers = out.trim().split("\n").map((l) => JSON.parse(l) as { id: number; result?: { isError?: boolean; content?: { text: string }[] } });
    for (const id of [2, 3]) {
      const answer = answers.find((a) => a.id === id);
      expect(answer?.result?.isError, JSON.stringify(answer)).toBeFalsy();
      expect(answer?.result?.content?.[0]?.text).toMatch(/^SANDBOX DATA/);
    }
  });
});

describe("arguments that are not a JSON object", () => {
  it("get an invalid-params error saying arguments must be an object, and the server keeps serving", async () => {
    const call = (id: number, name: string, args: unknown) => ({ jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: args } });
    const lines = [
      { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "pipe", version: "0" } } },
      { jsonrpc: "2.0", method: "notifications/initialized" },
      call(2, "viam_get_current_month_usage", "org-acme"),
      call(3, "viam_get_current_month_usage", ["org-acme"]),
      call(4, "viam_get_current_month_usage", null),
      call(5, "viam_get_current_month_usage", { org_id: "org-acme" }),
    ];
    const { code, out } = await pipeThrough(lines);
    expect(code).toBe(0);
    type Answer = { id: number; error?: { code: number; message: string }; result?: { isError?: boolean; content?: { text: string }[] } };
    const answers = new Map(out.trim().split("\n").map((l) => JSON.parse(l) as Answer).map((a) => [a.id, a]));
    // The SDK checks the request's shape before any tool sees it (the stdio front that turned
    // this into a tool error is gone): a JSON-RPC error naming the field and what it expects.
    for (const id of [2, 3, 4]) {
      const answer = answers.get(id);
      expect(answer?.error?.code, JSON.stringify(answer)).toBe(-32602);
      expect(answer?.error?.message).toMatch(/arguments[\s\S]*expected record/);
    }
    expect(answers.get(5)?.result?.isError, JSON.stringify(answers.get(5))).toBeFalsy();
  });
});
