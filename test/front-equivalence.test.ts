// Anything kept between stdin and the SDK must not change an answer: the server as served
// (src/cli.ts: its input stream, the answer counter of src/mcp/stdio-wire.ts) and a plain SDK
// serveStdio over the same McpServers (bench/plain-sdk-server.ts) get the same input lines and
// must write the same output lines. The lines include the ids and messages the old hand-written
// front mishandled: odd ids (1.5, above 2^53, strings, negative, zero) for every method, the id
// billing-mcp:replayed-initialize, a line that is not JSON, an unknown method.
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { clockEnv } from "./clock.js";
import { SERVER_ENTRY } from "./harness.js";

const PLAIN_ENTRY = resolve(import.meta.dirname, "../dist/bench/plain-sdk-server.js");

// Raw text, so that ids JSON cannot hold exactly (2^53 + 1) reach the server as written.
const ODD_IDS = ["1.5", "9007199254740993", '"abc"', '"billing-mcp:replayed-initialize"', "-1", "0", "1e3"];
const METHODS: [string, string][] = [
  ["ping", "{}"],
  ["tools/list", "{}"],
  ["prompts/list", "{}"],
  ["resources/list", "{}"],
  ["resources/templates/list", "{}"],
  ["prompts/get", '{"name":"monthly_billing_review","arguments":{"org_id":"org-acme"}}'],
  ["tools/call", '{"name":"viam_get_available_billing_tiers","arguments":{}}'],
  ["tools/call", '{"name":"viam_get_current_month_usage","arguments":{"org":"org-acme"}}'],
  ["no/such/method", "{}"],
];

function inputLines(): string[] {
  const lines = [
    '{"jsonrpc":"2.0","id":"billing-mcp:replayed-initialize","method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"raw","version":"0"}}}',
    '{"jsonrpc":"2.0","method":"notifications/initialized"}',
    "this is not JSON",
  ];
  for (const id of ODD_IDS) for (const [method, params] of METHODS) lines.push(`{"jsonrpc":"2.0","id":${id},"method":"${method}","params":${params}}`);
  return lines;
}

/** Runs `entry`, writes the lines one at a time (each after the previous answer or a pause), returns stdout's lines. */
async function answers(entry: string, lines: string[]): Promise<string[]> {
  const child = spawn(process.execPath, [entry], {
    env: { PATH: process.env.PATH ?? "", HOME: mkdtempSync(join(tmpdir(), "billing-mcp-equiv-")), BILLING_MCP_LOG_LEVEL: "error", ...clockEnv() },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise((done) => child.on("exit", done));
  for (const line of lines) {
    const before = out.length;
    child.stdin.write(`${line}\n`);
    // One at a time, so the order of answers is the order of the lines in both.
    for (let waited = 0; out.length === before && waited < 1_000; waited += 10) await new Promise((r) => setTimeout(r, 10));
  }
  child.stdin.end();
  await exited;
  return out.split("\n").filter(Boolean);
}

describe("the server as served and a plain SDK server, for the same input lines", () => {
  it("write the same answers; ids that are strings or safe integers are answered for every method alike, others dropped alike", { timeout: 120_000 }, async () => {
    const lines = inputLines();
    const [served, plain] = await Promise.all([answers(SERVER_ENTRY, lines), answers(PLAIN_ENTRY, lines)]);
    expect(served).toEqual(plain);
    const parsed = served.map((l) => JSON.parse(l) as { id?: unknown; result?: unknown; error?: { code: number } });
    // MCP ids are strings or integers. The SDK answers each request whose id is one (a safe
    // integer) for every method alike, and drops, for every method alike, those whose id is not
    // (1.5; 2^53 + 1, which JSON.parse cannot hold): no answer with a made-up id. The line that
    // is not JSON is reported on stderr, not answered (JSON-RPC would answer -32700 with id null).
    const answered = ODD_IDS.filter((id) => {
      const value = JSON.parse(id) as unknown;
      return typeof value === "string" || Number.isSafeInteger(value);
    });
    expect(answered).toEqual(['"abc"', '"billing-mcp:replayed-initialize"', "-1", "0", "1e3"]);
    expect(parsed).toHaveLength(1 + answered.length * METHODS.length);
    expect(parsed[0]).toMatchObject({ id: "billing-mcp:replayed-initialize", result: { capabilities: { prompts: {} } } });
    for (const id of ODD_IDS) {
      const expected = JSON.parse(id) as unknown;
      const forId = parsed.slice(1).filter((a) => a.id === expected);
      if (!answered.includes(id)) {
        expect(forId, `answers for id ${id}`).toEqual([]);
        continue;
      }
      // The same kind of answer for each method, whatever the id.
      expect(forId.map((a) => (a.error ? `error ${a.error.code}` : "result")), `answers for id ${id}`).toEqual([...METHODS.slice(0, -1).map(() => "result"), "error -32601"]);
    }
  });
});
