// Builds the listing (src/listing.ts) by asking a real McpServer, over an in-memory transport,
// what it answers to initialize and tools/list; then makes each tool compact for a model's
// context without changing what it says.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { LATEST_PROTOCOL_VERSION, SUPPORTED_PROTOCOL_VERSIONS } from "@modelcontextprotocol/sdk/types.js";
import type { Implementation, ServerCapabilities, Tool } from "@modelcontextprotocol/sdk/types.js";
import { allTools } from "../tools/index.js";
import { loadConfig } from "./config.js";
import type { Listing } from "./listing.js";
import { createBillingServer } from "./server.js";
import type { ToolDefinition } from "./tool-definition.js";

const quietLogger = { log: () => undefined };

export async function buildListing(tools: readonly ToolDefinition[] = allTools): Promise<Listing> {
  const all = await ask(tools);
  const none = await ask([]);
  const alone = await Promise.all(tools.map((tool) => ask([tool])));
  const byName = new Map(all.tools.map((t) => [t.name, t]));
  return {
    serverInfo: all.serverInfo,
    capabilities: none.capabilities,
    latestProtocolVersion: LATEST_PROTOCOL_VERSION,
    supportedProtocolVersions: [...SUPPORTED_PROTOCOL_VERSIONS],
    tools: tools.map((tool, i) => {
      const listing = byName.get(tool.name);
      if (!listing) throw new Error(`${tool.name} is not listed by the MCP server`);
      return { name: tool.name, access: tool.access, listing: compactTool(listing), capabilities: alone[i]!.capabilities };
    }),
  };
}

/** initialize and tools/list of a server serving `tools` (writes included: the selection decides). */
async function ask(tools: readonly ToolDefinition[]): Promise<{ serverInfo: Implementation; capabilities: ServerCapabilities; tools: Tool[] }> {
  const billing = createBillingServer({ config: loadConfig({}), logger: quietLogger, tools, allowWrites: true });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: "billing-mcp-listing", version: "0" });
  await billing.server.connect(serverSide);
  await client.connect(clientSide);
  try {
    const capabilities = client.getServerCapabilities() ?? {};
    return {
      serverInfo: client.getServerVersion() ?? { name: "billing-mcp", version: "0" },
      capabilities,
      tools: capabilities.tools ? (await client.listTools()).tools : [],
    };
  } finally {
    await client.close();
    await billing.close();
  }
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * The tool without what costs tokens and says nothing:
 * - the `$schema` URL, and `execution: {taskSupport: "forbidden"}` (the default);
 * - an annotations title equal to the tool's title;
 * - zod's safe-integer bounds on integers, string length bounds and the bounds of decimal
 *   numbers (sanity limits such as timeout 0.1-600 s or amounts up to 1e9 USD: the server
 *   checks them and its refusal names the limit; integer bounds such as an invoice list's
 *   limit stay, as they tell the model what it may ask for), and `propertyNames:
 *   {type: "string"}` (JSON keys are strings);
 * - destructiveHint and idempotentHint of a read-only tool: MCP defines them only for tools
 *   that are not read-only (readOnlyHint false), so for a reader they say nothing;
 * - in output schemas, `additionalProperties: false` and `required`, which only a validator
 *   uses (the server builds every answer; the tests check each against its zod schema).
 */
export function compactTool(tool: Tool): Tool {
  const { execution, annotations, inputSchema, outputSchema, ...rest } = tool;
  const compact: Tool = { ...rest, inputSchema: compactSchema(inputSchema as Json, false) as Tool["inputSchema"] };
  if (annotations) {
    // readOnlyHint and openWorldHint are always stated, and a writer states all four: clients
    // differ in how they treat a missing one, and a billing tool's safety class should never
    // depend on a default.
    const readOnly = annotations.readOnlyHint === true;
    const kept = Object.entries(annotations).filter(
      ([key, value]) => !(key === "title" && value === tool.title) && !(readOnly && (key === "destructiveHint" || key === "idempotentHint")),
    );
    if (kept.length) compact.annotations = Object.fromEntries(kept);
  }
  if (outputSchema) compact.outputSchema = compactSchema(outputSchema as Json, true) as Tool["outputSchema"];
  if (execution && execution.taskSupport !== undefined && execution.taskSupport !== "forbidden") compact.execution = execution;
  return compact;
}

const SAFE_BOUND = Number.MAX_SAFE_INTEGER;

function compactSchema(schema: Json, output: boolean): Json {
  if (Array.isArray(schema)) return schema.map((s) => compactSchema(s, output));
  if (schema === null || typeof schema !== "object") return schema;
  const out: { [key: string]: Json } = {};
  const decimal = schema.type === "number";
  for (const [key, value] of Object.entries(schema)) {
    if (key === "$schema") continue;
    if (decimal && (key === "minimum" || key === "maximum")) continue;
    if (key === "propertyNames" && isStringType(value)) continue;
    if ((key === "minimum" && value === -SAFE_BOUND) || (key === "maximum" && value === SAFE_BOUND)) continue;
    if (key === "minLength" || key === "maxLength") continue;
    if (output && key === "additionalProperties" && value === false) continue;
    if (output && key === "required") continue;
    // Under "properties" the keys are field names, not schema keywords.
    out[key] =
      key === "properties" && value && typeof value === "object" && !Array.isArray(value)
        ? Object.fromEntries(Object.entries(value).map(([field, s]) => [field, compactSchema(s, output)]))
        : compactSchema(value, output);
  }
  return out;
}

const isStringType = (v: Json) => typeof v === "object" && v !== null && !Array.isArray(v) && Object.keys(v).length === 1 && v.type === "string";
