// The spend app through a real MCP client against the built server: the three tools point at
// ui://billing-mcp/spend in _meta.ui, resources/read serves one self-contained HTML page with
// the MCP Apps mimeType, and a client that does not announce Apps support gets the same text
// and structuredContent as one that does. The page itself is tested in test/app-browser.test.ts.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client, InMemoryTransport } from "@modelcontextprotocol/client";
import type { CallToolResult, ClientCapabilities } from "@modelcontextprotocol/client";
import { serveStdio } from "@modelcontextprotocol/server/stdio";
import { fixedClock } from "../src/core/clock.js";
import { loadConfig } from "../src/core/config.js";
import { stderrLogger } from "../src/core/logger.js";
import { createBillingServer } from "../src/mcp/server.js";
import { TEST_START } from "./clock.js";
import { RESOURCE_MIME_TYPE, RESOURCE_URI_META_KEY } from "@modelcontextprotocol/ext-apps/server";
import { SPEND_APP_URI } from "../src/mcp/spend-app.js";
import { allTools } from "../tools/index.js";
import { call, startServer } from "./harness.js";
import type { RunningServer } from "./harness.js";
import { countTokens } from "./tokens.js";

const APPS = { extensions: { "io.modelcontextprotocol/ui": { mimeTypes: [RESOURCE_MIME_TYPE] } } };
const APP_TOOLS = ["billing_spend_overview", "viam_get_invoices_summary", "viam_get_current_month_usage"];
/** The page's size budget: see docs/app.md for why it is not 200 KB (ext-apps' App and its SDK are ~320 KB). */
const MAX_PAGE_BYTES = 400 * 1024;

let apps: RunningServer;
let plain: RunningServer;
beforeAll(async () => {
  [apps, plain] = await Promise.all([startServer({}, [], APPS), startServer()]);
});
afterAll(async () => {
  await Promise.all([apps?.close(), plain?.close()]);
});

describe("spend app over MCP", () => {
  it("the three tools, and only they, carry _meta.ui.resourceUri (and the older ui/resourceUri), for either client and either protocol generation", async () => {
    const modern = await startServer({}, [], APPS, "2026");
    try {
      for (const client of [apps.client, plain.client, modern.client]) {
        const { tools } = await client.listTools();
        expect(tools.length).toBeGreaterThan(APP_TOOLS.length);
        for (const tool of tools) {
          const ui = (tool._meta?.ui as { resourceUri?: string } | undefined)?.resourceUri;
          expect(ui, tool.name).toBe(APP_TOOLS.includes(tool.name) ? SPEND_APP_URI : undefined);
          expect(tool._meta?.[RESOURCE_URI_META_KEY], tool.name).toBe(APP_TOOLS.includes(tool.name) ? SPEND_APP_URI : undefined);
        }
      }
      expect(allTools.filter((t) => t.app).map((t) => t.name).sort()).toEqual([...APP_TOOLS].sort());
    } finally {
      await modern.close();
    }
  });

  it("keeps what a model sees of tools/list within 2,200 tokens; the app adds only _meta", async () => {
    const { tools } = await plain.client.listTools();
    const seen = countTokens(JSON.stringify(tools.map(({ name, description, inputSchema }) => ({ name, description, inputSchema }))));
    const meta = countTokens(JSON.stringify(tools.map((t) => t._meta ?? null)));
    console.info(`tools/list as a model sees it: ${seen} tokens; _meta of all tools: ${meta} tokens`);
    expect(seen).toBeLessThanOrEqual(2200);
  });

  it("lists ui://billing-mcp/spend and reads it as one self-contained HTML page with the MCP Apps mimeType", async () => {
    const { resources } = await apps.client.listResources();
    expect(resources.find((r) => r.uri === SPEND_APP_URI)).toMatchObject({ name: "billing-spend-app", mimeType: RESOURCE_MIME_TYPE });
    const { contents } = await apps.client.readResource({ uri: SPEND_APP_URI });
    expect(contents).toHaveLength(1);
    const page = contents[0] as { uri: string; mimeType: string; text: string };
    expect(page).toMatchObject({ uri: SPEND_APP_URI, mimeType: "text/html;profile=mcp-app" });
    expect(page.text.startsWith("<!doctype html>")).toBe(true);
    const bytes = Buffer.byteLength(page.text);
    console.info(`spend app page: ${(bytes / 1024).toFixed(0)} KiB`);
    expect(bytes).toBeLessThan(MAX_PAGE_BYTES);
    // Nothing loaded from anywhere: no element with a source or a link, no CSS import or url(),
    // and a policy that forbids any fetch.
    expect(page.text).not.toMatch(/<(script|link|img|iframe|source|video|audio)\b[^>]*\s(src|href)\s*=/i);
    expect(page.text).not.toMatch(/@import|url\(\s*['"]?(https?:|\/\/)/i);
    expect(page.text).toContain(`content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:"`);
    expect(page.text.match(/<script\b/gi)).toHaveLength(1);
  });

  it("a client without Apps support gets the same text and structuredContent as one with it", async () => {
    // Both clients on one server whose clock stands still, so that nothing but the client differs.
    const home = mkdtempSync(join(tmpdir(), "billing-mcp-home-"));
    const config = loadConfig({ HOME: home, BILLING_MCP_AUDIT_LOG: join(home, "audit.jsonl"), BILLING_MCP_DOWNLOAD_DIR: join(home, "downloads") });
    config.clock = fixedClock(TEST_START);
    const billing = createBillingServer({ config, logger: stderrLogger("error", () => undefined) });
    const connect = async (capabilities: ClientCapabilities) => {
      const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
      const handle = serveStdio(() => billing.createServer(), { transport: serverSide });
      const client = new Client({ name: "app-test", version: "0" }, { capabilities });
      await client.connect(clientSide);
      return { client, close: async () => (await client.close(), await handle.close()) };
    };
    const [withApps, without] = await Promise.all([connect(APPS), connect({})]);
    try {
      for (const name of APP_TOOLS) {
        const a = await call(withApps.client, name);
        const b = await call(without.client, name);
        expect(a.isError, name).toBeFalsy();
        expect(a.structuredContent, name).toBeDefined();
        expect(b.content, name).toEqual(a.content);
        expect(b.structuredContent, name).toEqual(a.structuredContent);
      }
    } finally {
      await Promise.all([withApps.close(), without.close()]);
      await billing.close();
    }
  });
});
