// MCP logging (notifications/message once the client sets a level) and progress
// notifications while an invoice PDF streams, through a real client (in-process, from source).
import { rmSync } from "node:fs";
import type { LoggingMessageNotification, Progress } from "@modelcontextprotocol/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LARGE_INVOICE_ID, ORG } from "../src/sandbox/data.js";
import { call, liveEnv, startViamSandbox, textOf } from "./harness.js";
import type { ViamSandbox } from "./harness.js";
import { startInProcess } from "./in-process.js";
import type { InProcessServer } from "./in-process.js";

let sandbox: ViamSandbox;
let server: InProcessServer;
const messages: LoggingMessageNotification["params"][] = [];

beforeAll(async () => {
  sandbox = await startViamSandbox();
  server = await startInProcess(liveEnv(sandbox, { VIAM_ORG_ID: ORG.acme }));
  server.client.setNotificationHandler("notifications/message", (n) => void messages.push(n.params));
});
afterAll(async () => {
  await server?.close();
  await sandbox?.close();
});

const retried = () => messages.filter((m) => String(m.data).includes("retrying"));

describe("MCP logging", () => {
  it("declares the logging capability", () => {
    expect(server.client.getServerCapabilities()?.logging).toBeDefined();
  });

  it("sends nothing to the client until it sets a level; stderr still gets the log", async () => {
    sandbox.faults.unavailableNext = 1;
    const result = await call(server.client, "viam_get_available_billing_tiers");
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(server.stderr()).toMatch(/billing-mcp info: authenticated to/);
    expect(server.stderr()).toMatch(/billing-mcp debug: retrying/);
    expect(messages).toEqual([]);
  });

  it("after logging/setLevel warning, debug messages stay on stderr", async () => {
    await server.client.setLoggingLevel("warning");
    sandbox.faults.unavailableNext = 1;
    expect((await call(server.client, "viam_get_available_billing_tiers")).isError).toBeFalsy();
    expect(messages).toEqual([]);
  });

  it("after logging/setLevel debug, they arrive as notifications/message", async () => {
    await server.client.setLoggingLevel("debug");
    sandbox.faults.unavailableNext = 1;
    expect((await call(server.client, "viam_get_available_billing_tiers")).isError).toBeFalsy();
    await expect.poll(() => retried().length).toBe(1);
    expect(retried()[0]).toMatchObject({ level: "debug", logger: "billing-mcp", data: expect.stringMatching(/retrying .* after Unavailable/) });
  });

  it("redacts secrets in what it sends", () => {
    for (const m of messages) expect(String(m.data)).not.toContain(sandbox.apiKey);
  });
});

describe("progress while a PDF downloads", () => {
  it("reports bytes so far when the request has a progressToken, ending at the file's size", async () => {
    const updates: Progress[] = [];
    const result = await server.client.callTool({ name: "viam_get_invoice_pdf", arguments: { invoice_id: LARGE_INVOICE_ID } }, {
      onprogress: (p) => void updates.push(p),
      timeout: 120_000,
    });
    expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
    const { bytes, path } = result.structuredContent as { bytes: number; path: string };
    rmSync(path);
    expect(bytes).toBeGreaterThan(40 * 1024 * 1024);
    // One update per MiB received, then the final size with its total. The server writes that
    // final one before the answer, but the SDK's Client handles a notification a turn later
    // than a response read in the same chunk and then drops it as late; on a loaded machine the
    // two share a chunk. So the final update is checked whenever it arrived.
    const mibs = Math.floor(bytes / (1024 * 1024));
    const perMib = updates.filter((u) => u.total === undefined);
    expect(perMib).toHaveLength(mibs);
    perMib.forEach((u, i) => expect(u.progress).toBe((i + 1) * 1024 * 1024));
    for (let i = 1; i < updates.length; i++) expect(updates[i]!.progress).toBeGreaterThan(updates[i - 1]!.progress);
    const final = updates.slice(mibs);
    expect(final.length).toBeLessThanOrEqual(1);
    for (const u of final) expect(u).toMatchObject({ progress: bytes, total: bytes, message: expect.stringContaining("saved") });
  });

  it("sends no progress for a request without a progressToken", async () => {
    // The client's Protocol takes every notifications/progress itself; one it did not ask
    // for surfaces as an "unknown token" error.
    const errors: Error[] = [];
    server.client.onerror = (err) => void errors.push(err);
    const result = await call(server.client, "viam_get_invoice_pdf", { invoice_id: "inv_acme_202610" });
    expect(result.isError, textOf(result)).toBeFalsy();
    rmSync((result.structuredContent as { path: string }).path);
    expect(errors.map((e) => e.message)).toEqual([]);
  });
});
