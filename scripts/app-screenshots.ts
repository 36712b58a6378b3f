// npm run screenshots: the spend app's three views, light and dark, as docs/app-<view>-<theme>.png.
// The figures are the embedded sandbox's at a fixed instant (mid-month), fetched by a real MCP
// client from the built server; the page is the one resources/read serves, shown in the test
// host (scripts/app-host.ts) in Debian's Chromium.
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/client";
import type { CallToolResult } from "@modelcontextprotocol/client";
import { getDefaultEnvironment, StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import { SPEND_APP_URI } from "../src/mcp/spend-app.js";
import { hostApp, launchBrowser } from "./app-host.js";
import type { Theme } from "./app-host.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const NOW = "2026-12-15T12:00:00Z";
const WIDTH = 720;
const VIEWS = [
  { view: "overview", name: "billing_spend_overview", args: {} },
  { view: "invoices", name: "viam_get_invoices_summary", args: { org_id: "org-acme" } },
  { view: "usage", name: "viam_get_current_month_usage", args: { org_id: "org-acme" } },
] as const;

const transport = new StdioClientTransport({
  command: process.execPath,
  args: [join(root, "dist/src/cli.js")],
  env: { ...getDefaultEnvironment(), BILLING_MCP_NOW: NOW, BILLING_MCP_LOG_LEVEL: "error" },
  stderr: "inherit",
});
const client = new Client({ name: "billing-mcp screenshots", version: "1" }, { capabilities: { extensions: { "io.modelcontextprotocol/ui": { mimeTypes: ["text/html;profile=mcp-app"] } } } });
await client.connect(transport);
const browser = await launchBrowser();
try {
  const { contents } = await client.readResource({ uri: SPEND_APP_URI });
  const html = (contents[0] as { text: string }).text;
  await mkdir(join(root, "docs"), { recursive: true });
  for (const { view, name, args } of VIEWS) {
    const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
    for (const theme of ["light", "dark"] as Theme[]) {
      const hosted = await hostApp(browser, html, { theme, width: WIDTH, callTool: (p) => client.callTool(p) as Promise<CallToolResult> });
      await hosted.show(args, result);
      await hosted.app.waitForSelector(`[data-view=${view}]`);
      // The iframe grows as the app reports its size; the window is made as tall, so all of it is painted.
      let height = 0;
      for (let tries = 0; tries < 50; tries++) {
        const now = await hosted.page.evaluate(() => Math.ceil(document.querySelector("iframe")!.getBoundingClientRect().height));
        if (now === height && now > 300) break;
        height = now;
        await hosted.page.setViewportSize({ width: WIDTH, height: Math.max(300, height) });
        await hosted.app.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
      }
      const file = join(root, "docs", `app-${view}-${theme}.png`);
      await hosted.page.locator("iframe").screenshot({ path: file });
      if (hosted.errors.length || hosted.requests.length) throw new Error(`${view} ${theme}: errors ${hosted.errors.join("; ")}, requests ${hosted.requests.join(", ")}`);
      process.stderr.write(`wrote ${file.slice(root.length)}\n`);
      await hosted.close();
    }
  }
} finally {
  await browser.close();
  await client.close();
}
