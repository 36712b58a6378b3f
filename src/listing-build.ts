// Builds the catalogue (src/catalogue.ts) by asking a real McpServer, over an in-memory
// transport, what it answers to initialize and tools/list; then makes the listing compact for
// a model's context without changing what it says.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { LATEST_PROTOCOL_VERSION, SUPPORTED_PROTOCOL_VERSIONS } from "@modelcontextprotocol/sdk/types.js";
import type { Tool } from "@modelcontextprotocol/sdk/types.js";
import { allTools } from "../tools/index.js";
import type { Catalogue } from "./catalogue.js";
import { loadConfig } from "./config.js";
import { createBillingServer } from "./server.js";
import type { ToolDefinition } from "./tool-definition.js";

const quietLogger = { log: () => undefined };

export async function buildCatalogue(tools: readonly ToolDefinition[] = allTools): Promise<Catalogue> {
  const billing = createBillingServer({ config: loadConfig({}), logger: quietLogger, tools });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: "billing-mcp-catalogue", version: "0" });
  await billing.server.connect(serverSide);
  await client.connect(clientSide);
  try {
    const listed = await client.listTools();
    const byName = new Map(listed.tools.map((t) => [t.name, t]));
    return {
      serverInfo: client.getServerVersion() ?? { name: "billing-mcp", version: "0" },
      capabilities: client.getServerCapabilities() ?? {},
      latestProtocolVersion: LATEST_PROTOCOL_VERSION,
      supportedProtocolVersions: [...SUPPORTED_PROTOCOL_VERSIONS],
      tools: tools.map((tool) => {
        const listing = byName.get(tool.name);
        if (!listing) throw new Error(`${tool.name} is not listed by the MCP server`);
        return { name: tool.name, access: tool.access, listing: compactTool(listing) };
      }),
    };
  } finally {
    await client.close();
    await billing.close();
  }
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * The listing without what costs tokens and says nothing: the `$schema` URL, the default
 * `execution: {taskSupport: "forbidden"}`, an annotations title equal to the tool's title,
 * `propertyNames: {type: "string"}` (JSON keys are strings), and in output schemas the
 * `additionalProperties: false` and `required` that only matter to a validator (the server
 * builds every answer, and the tests check each one against its zod schema).
 */
export function compactTool(tool: Tool): Tool {
  const { execution, annotations, inputSchema, outputSchema, ...rest } = tool;
  const compact: Tool = { ...rest, inputSchema: compactSchema(inputSchema as Json, false) as Tool["inputSchema"] };
  if (annotations) {
    const { title, ...hints } = annotations;
    compact.annotations = title === undefined || title === tool.title ? hints : annotations;
  }
  if (outputSchema) compact.outputSchema = compactSchema(outputSchema as Json, true) as Tool["outputSchema"];
  if (execution && execution.taskSupport !== undefined && execution.taskSupport !== "forbidden") compact.execution = execution;
  return compact;
}

function compactSchema(schema: Json, output: boolean): Json {
  if (Array.isArray(schema)) return schema.map((s) => compactSchema(s, output));
  if (schema === null || typeof schema !== "object") return schema;
  const out: { [key: string]: Json } = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === "$schema") continue;
    if (key === "propertyNames" && isStringType(value)) continue;
    if (output && key === "additionalProperties" && value === false) continue;
    if (output && key === "required") continue;
    // Under "properties" the keys are field names, not schema keywords.
    out[key] = key === "properties" && value && typeof value === "object" && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value).map(([field, s]) => [field, compactSchema(s, output)]))
      : compactSchema(value, output);
  }
  return out;
}

const isStringType = (v: Json) => typeof v === "object" && v !== null && !Array.isArray(v) && Object.keys(v).length === 1 && v.type === "string";
