// A test host for the spend app, shared by test/app-browser.test.ts and scripts/app-screenshots.ts:
// Debian's Chromium (headless, driven by playwright-core, a fresh profile) loads a host page
// built on ext-apps' AppBridge (scripts/app-host-page.ts), which embeds the app's HTML as
// served by resources/read and hands it tool results. Every request the page makes and every
// console error is recorded: the app must need neither.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { chromium } from "playwright-core";
import type { BrowserContext, Frame, Page } from "playwright-core";
import type { CallToolRequest, CallToolResult } from "@modelcontextprotocol/client";
import type { McpUiHostContext, McpUiStyles } from "@modelcontextprotocol/ext-apps/app-bridge";

export const CHROMIUM = process.env.BILLING_MCP_CHROMIUM ?? "/usr/bin/chromium";
const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const root = fileURLToPath(new URL(import.meta.url.includes("/dist/") ? "../../" : "../", import.meta.url));

export type Theme = "light" | "dark";

/** A host's style variables, as hosts send them (a subset of the MCP Apps keys). */
export const HOST_STYLES: Record<Theme, Partial<McpUiStyles>> = {
  light: {
    "--color-background-primary": "rgb(255, 255, 255)",
    "--color-background-secondary": "rgb(245, 244, 240)",
    "--color-text-primary": "rgb(31, 30, 29)",
    "--color-text-secondary": "rgb(94, 93, 89)",
    "--color-border-secondary": "rgb(222, 220, 213)",
    "--font-sans": 'system-ui, "DejaVu Sans", sans-serif',
  },
  dark: {
    "--color-background-primary": "rgb(38, 38, 36)",
    "--color-background-secondary": "rgb(48, 48, 46)",
    "--color-text-primary": "rgb(250, 249, 245)",
    "--color-text-secondary": "rgb(194, 192, 182)",
    "--color-border-secondary": "rgb(74, 73, 69)",
    "--font-sans": 'system-ui, "DejaVu Sans", sans-serif',
  },
};

export const hostContext = (theme: Theme, width: number): McpUiHostContext => ({
  theme,
  styles: { variables: HOST_STYLES[theme] as McpUiStyles },
  displayMode: "inline",
  containerDimensions: { width, maxHeight: 6000 },
  locale: "en-US",
});

let hostScript: Promise<string> | undefined;
function hostPage(): Promise<string> {
  hostScript ??= build({ absWorkingDir: root, entryPoints: ["scripts/app-host-page.ts"], bundle: true, write: false, format: "esm", platform: "browser", minify: true, logLevel: "warning" }).then(
    (r) => `<!doctype html><html><head><meta charset="utf-8"><style>body{margin:0;background:#888}</style></head><body><script type="module">${r.outputFiles[0]!.text.replace(/<\/script/gi, "<\\/script")}</script></body></html>`,
  );
  return hostScript;
}

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Chromium with a fresh profile, nothing reachable: every request is recorded and refused. */
export async function launchBrowser(): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), "billing-mcp-chromium-"));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: FLAGS });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export interface HostedApp {
  page: Page;
  /** The app's frame. */
  app: Frame;
  /** Requests any frame made (none expected). */
  requests: string[];
  /** Console errors and uncaught exceptions of any frame (none expected). */
  errors: string[];
  /** Tool calls the app made through the host. */
  calls: CallToolRequest["params"][];
  show(args: Record<string, unknown>, result: CallToolResult): Promise<void>;
  setTheme(theme: Theme): Promise<void>;
  close(): Promise<void>;
}

/**
 * A host page at `width` CSS pixels embedding `html` (the app as served), in `theme`. Calls the
 * app makes go to `callTool` (a real MCP client in the tests).
 */
export async function hostApp(browser: Browser, html: string, options: { theme: Theme; width: number; callTool: (p: CallToolRequest["params"]) => Promise<CallToolResult> }): Promise<HostedApp> {
  const page = await browser.context.newPage();
  await page.setViewportSize({ width: options.width, height: 900 });
  const requests: string[] = [];
  const errors: string[] = [];
  const calls: CallToolRequest["params"][] = [];
  await page.route("**/*", (route) => {
    requests.push(route.request().url());
    return route.abort();
  });
  page.on("request", (r) => requests.push(r.url()));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.exposeFunction("hostCallTool", async (params: CallToolRequest["params"]) => {
    calls.push(params);
    return options.callTool(params);
  });
  await page.setContent(await hostPage());
  await page.waitForFunction(() => "host" in window);
  const context: unknown = hostContext(options.theme, options.width);
  await page.evaluate(([h, c]) => window.host.load(h, c as McpUiHostContext), [html, context] as [string, unknown]);
  const app = page.frames().find((f) => f !== page.mainFrame());
  if (!app) throw new Error("the app's frame did not load");
  return {
    page,
    app,
    requests,
    errors,
    calls,
    show: (args, result) => page.evaluate(([a, r]) => window.host.show(a as Record<string, unknown>, r as CallToolResult), [args, result] as [unknown, unknown]),
    async setTheme(theme) {
      const context: unknown = hostContext(theme, options.width);
      await page.evaluate((c) => window.host.setContext(c as McpUiHostContext), context);
      await app.waitForFunction((t) => document.documentElement.dataset.theme === t, theme);
    },
    close: () => page.close(),
  };
}
