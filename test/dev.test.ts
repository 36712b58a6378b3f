// The server runs from source (npm run dev: tsx, no build), as a client configured for
// development launches it: `npm run --silent dev` keeps npm's banner off stdout.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Client } from "@modelcontextprotocol/client";
import { getDefaultEnvironment, StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import { expect, it } from "vitest";
import { clockEnv } from "./clock.js";

it("npm run --silent dev serves MCP over stdio from src/", async () => {
  const transport = new StdioClientTransport({
    command: "npm",
    args: ["run", "--silent", "dev"],
    cwd: resolve(import.meta.dirname, ".."),
    env: { ...getDefaultEnvironment(), HOME: mkdtempSync(join(tmpdir(), "billing-mcp-home-")), ...clockEnv() },
    stderr: "ignore",
  });
  const client = new Client({ name: "dev-test", version: "0" });
  await client.connect(transport);
  try {
    const result = await client.callTool({ name: "viam_get_available_billing_tiers", arguments: {} });
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toMatchObject({ sandbox: true, tiers: expect.arrayContaining(["free"]) });
  } finally {
    await client.close();
  }
});
