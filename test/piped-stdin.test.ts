// A pipeline that writes its requests and closes stdin at once gets every answer.
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SERVER_ENTRY } from "./harness.js";

describe("requests piped in before stdin closes", () => {
  it("are all answered before the server exits 0", async () => {
    const child = spawn(process.execPath, [SERVER_ENTRY], {
      env: { PATH: process.env.PATH ?? "", HOME: mkdtempSync(join(tmpdir(), "billing-mcp-pipe-")) },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    const lines = [
      { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "pipe", version: "0" } } },
      { jsonrpc: "2.0", method: "notifications/initialized" },
      { jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "viam_get_available_billing_tiers", arguments: {} } },
      { jsonrpc: "2.0", id: 3, method: "tools/call", params: { name: "viam_get_current_month_usage", arguments: { org_id: "org-acme" } } },
    ];
    child.stdin.end(lines.map((l) => JSON.stringify(l)).join("\n") + "\n");
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    expect(code).toBe(0);
    const answers = out.trim().split("\n").map((l) => JSON.parse(l) as { id: number; result?: { isError?: boolean; content?: { text: string }[] } });
    for (const id of [2, 3]) {
      const answer = answers.find((a) => a.id === id);
      expect(answer?.result?.isError, JSON.stringify(answer)).toBeFalsy();
      expect(answer?.result?.content?.[0]?.text).toMatch(/^SANDBOX DATA/);
    }
  });
});
