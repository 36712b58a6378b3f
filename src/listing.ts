// The tool catalogue: what initialize and tools/list answer, computed at build time from the
// tool definitions through the MCP SDK itself (src/catalogue-build.ts, scripts/build.ts) and
// read at start-up, so that answering them needs neither the SDK, zod nor the tools' code.
import { readFileSync } from "node:fs";
import type { Implementation, ServerCapabilities, Tool } from "@modelcontextprotocol/sdk/types.js";
import type { ToolDefinition } from "./tool-definition.js";

export interface CatalogueTool extends Pick<ToolDefinition, "name" | "access"> {
  /** The tool exactly as tools/list shows it. */
  listing: Tool;
}

export interface Catalogue {
  serverInfo: Implementation;
  capabilities: ServerCapabilities;
  latestProtocolVersion: string;
  supportedProtocolVersions: string[];
  tools: CatalogueTool[];
}

/** Built next to dist/src/, as dist/catalogue.json. */
export const CATALOGUE_URL = new URL("../catalogue.json", import.meta.url);

export function readCatalogue(url: URL = CATALOGUE_URL): Catalogue {
  let text: string;
  try {
    text = readFileSync(url, "utf8");
  } catch {
    throw new Error(`the tool catalogue ${url.pathname} is missing: run npm run build`);
  }
  return JSON.parse(text) as Catalogue;
}
