// The listing: what initialize and tools/list answer, computed at build time from the tool
// definitions through the MCP SDK itself (src/listing-build.ts, scripts/build.ts) and read at
// start-up, so that answering them needs neither the SDK, zod nor the tools' code.
import { readFileSync } from "node:fs";
import type { Implementation, ServerCapabilities, Tool } from "@modelcontextprotocol/sdk/types.js";
import type { ToolDefinition } from "./tool-definition.js";

export interface ListedTool extends Pick<ToolDefinition, "name" | "access"> {
  /** The tool as tools/list shows it, output schema included (see `listedTool`). */
  listing: Tool;
  /** What a server serving this tool alone declares (e.g. resources for the PDF tool). */
  capabilities: ServerCapabilities;
}

export interface Listing {
  serverInfo: Implementation;
  /** What a server serving no tool declares; each selected tool adds its own (`capabilitiesOf`). */
  capabilities: ServerCapabilities;
  latestProtocolVersion: string;
  supportedProtocolVersions: string[];
  tools: ListedTool[];
}

/** Built beside the server, as dist/src/listing.json. */
export const LISTING_URL = new URL("./listing.json", import.meta.url);

export function readListing(url: URL = LISTING_URL): Listing {
  let text: string;
  try {
    text = readFileSync(url, "utf8");
  } catch {
    throw new Error(`the tool listing ${url.pathname} is missing: run npm run build`);
  }
  return JSON.parse(text) as Listing;
}

/** The capabilities of a server serving `tools`: the union of what each adds. */
export function capabilitiesOf(listing: Listing, tools: readonly ListedTool[]): ServerCapabilities {
  return tools.reduce<ServerCapabilities>((all, tool) => merge(all, tool.capabilities), listing.capabilities);
}

type Json = { [key: string]: unknown };
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

function merge<T extends Json>(a: T, b: Json): T {
  const out: Json = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = isObject(out[k]) && isObject(v) ? merge(out[k], v) : v;
  return out as T;
}

/**
 * What tools/list shows of a tool. Every tool has an output schema (its file declares it, the
 * tests hold every answer to it, tools/catalog.json publishes it), but tools/list leaves it
 * out unless BILLING_MCP_OUTPUT_SCHEMAS=true: the listing sits in every conversation's
 * context, and the output schemas of 13 tools alone take more tokens (about 3,200) than the
 * 2,500 the whole listing may (issue 7). Answers carry structuredContent either way.
 */
export function listedTool(tool: Tool, withOutputSchema: boolean): Tool {
  if (withOutputSchema || tool.outputSchema === undefined) return tool;
  const { outputSchema: _outputSchema, ...rest } = tool;
  return rest;
}
