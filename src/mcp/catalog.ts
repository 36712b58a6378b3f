// The tool catalogue for pipelines that do not speak MCP (tools/catalog.json), and the one
// generator of every description of the tools: it is the server's own tools/list (an
// in-process MCP client, writes allowed), so each tool's title, description, hints and JSON
// Schemas are exactly what MCP clients get, with what the server adds (timeout, sandbox). The
// only addition is `access`, each tool's declared class. test/catalog.test.ts compares it
// with the tools/list of a spawned server and a real client.
//
// The JSON Schemas come from the MCP SDK's converter: zod-to-json-schema for zod 3 schemas,
// zod's own toJSONSchema for zod 4 ones. Our tools are zod 4, and zod-to-json-schema 3.25
// reads only zod 3: given a zod 4 schema it returns an empty schema without an error
// (test/catalog.test.ts shows it), so it cannot be the generator here.
import { allTools } from "../../tools/index.js";
import { loadConfig } from "../core/config.js";
import { connectInProcess } from "./in-process.js";
import { createBillingServer, SERVER_NAME } from "./server.js";

export const CATALOG_FILE = "tools/catalog.json";

export interface CatalogTool {
  name: string;
  title: string | undefined;
  description: string | undefined;
  access: "read" | "write";
  annotations: Record<string, unknown> | undefined;
  inputSchema: Record<string, unknown>;
  outputSchema: Record<string, unknown> | undefined;
}

export interface Catalog {
  $comment: string;
  /** What the file is, in one sentence, for whoever opens it without this code. */
  describes: string;
  server: string;
  generator: string;
  tools: CatalogTool[];
}

export async function buildCatalog(): Promise<Catalog> {
  // No credentials: nothing here calls Viam, and the schemas do not depend on the target.
  // Writes allowed: the catalogue describes every tool, as served when they are enabled.
  const billing = createBillingServer({ config: loadConfig({}), logger: { log: () => undefined }, tools: allTools, allowWrites: true });
  const session = await connectInProcess(billing);
  try {
    const { tools } = await session.client.listTools();
    return {
      $comment: "Generated; do not edit. test/catalog.test.ts fails when it is not current.",
      describes:
        "Every tool exactly as tools/list shows it to an MCP client of a server started with --allow-writes (title, description, annotations, inputSchema, outputSchema), plus access: read or write, the class each tool declares. Without --allow-writes, write tools are listed as disabled stubs with no arguments.",
      server: SERVER_NAME,
      generator: "npm run catalog (scripts/write-catalog.ts, src/mcp/catalog.ts)",
      tools: tools.map((t) => ({
        name: t.name,
        title: t.title,
        description: t.description,
        access: t.annotations?.readOnlyHint ? "read" : "write",
        annotations: t.annotations,
        inputSchema: t.inputSchema,
        outputSchema: t.outputSchema,
      })),
    };
  } finally {
    await session.close();
  }
}

export const renderCatalog = (catalog: Catalog) => `${JSON.stringify(catalog, null, 2)}\n`;
