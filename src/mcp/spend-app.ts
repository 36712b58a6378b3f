// The spend app (MCP Apps, SEP-1865): one HTML page, ui://billing-mcp/spend, that hosts with
// Apps support render beside the answers of the tools that declare it (their `app` field).
// The page is built by scripts/build-app.ts into dist/src/app/spend.html; it is read once,
// on the first resources/read, so a server without it still serves everything else.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { registerAppResource, RESOURCE_MIME_TYPE } from "@modelcontextprotocol/ext-apps/server";
import { ProtocolError, ProtocolErrorCode } from "@modelcontextprotocol/server";
import type { McpServer } from "@modelcontextprotocol/server";
import { PACKAGE_ROOT } from "../core/version.js";

export const SPEND_APP_URI = "ui://billing-mcp/spend";
/** Where the build writes the page, relative to the package folder (inside dist/src, so npm ships it). */
export const SPEND_APP_FILE = join("dist", "src", "app", "spend.html");

let page: Promise<string> | undefined;

function spendPage(): Promise<string> {
  page ??= readFile(join(PACKAGE_ROOT, SPEND_APP_FILE), "utf8").catch((err: unknown) => {
    page = undefined;
    throw new ProtocolError(ProtocolErrorCode.InternalError, `The spend app's page is missing (${SPEND_APP_FILE}): run npm run build. ${err instanceof Error ? err.message.split("\n")[0] : ""}`);
  });
  return page;
}

export function registerSpendApp(server: McpServer): void {
  registerAppResource(
    server,
    "billing-spend-app",
    SPEND_APP_URI,
    {
      title: "Spend app",
      description: "Charts of the spend overview, Viam invoices and Viam usage, drawn from those tools' structured results.",
    },
    async () => ({
      // No csp: the page loads nothing from the network.
      contents: [{ uri: SPEND_APP_URI, mimeType: RESOURCE_MIME_TYPE, text: await spendPage() }],
    }),
  );
}
