// tools/catalog.json is current, and every schema in it is real (has its properties).
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import * as z3 from "zod/v3";
import { zodToJsonSchema } from "zod-to-json-schema";
import { buildCatalog, CATALOG_FILE, renderCatalog } from "../src/mcp/catalog.js";
import type { Catalog } from "../src/mcp/catalog.js";
import { confirmationFields, writeOutputShape } from "../src/writes/confirmation-gate.js";
import { allTools } from "../tools/index.js";
import { startServer } from "./harness.js";
import type { Era, RunningServer } from "./harness.js";

const committed = readFileSync(resolve(import.meta.dirname, "..", CATALOG_FILE), "utf8");
const catalog = JSON.parse(committed) as Catalog;
type Schema = { type?: string; properties?: Record<string, unknown>; required?: string[] };

describe("tools/catalog.json", () => {
  it("is what `npm run catalog` generates now", async () => {
    expect(committed, "stale: run npm run catalog and commit tools/catalog.json").toBe(renderCatalog(await buildCatalog()));
  });

  it("has every tool, with its access class", () => {
    expect(catalog.tools.map((t) => [t.name, t.access])).toEqual(allTools.map((t) => [t.name, t.access]));
  });

  for (const tool of allTools) {
    // What the server adds: timeout and sandbox always; a write tool's confirmation fields and preview/result envelope.
    const write = tool.access === "write";
    const inputFields = [...Object.keys(tool.input), ...(write ? Object.keys(confirmationFields) : []), "timeout"];
    const outputFields = [...Object.keys(write ? writeOutputShape(tool.output) : tool.output), "sandbox"];
    it(`${tool.name}: input has every field plus timeout, output every field plus sandbox`, () => {
      const entry = catalog.tools.find((t) => t.name === tool.name)!;
      const input = entry.inputSchema as Schema;
      const output = entry.outputSchema as Schema;
      expect(input.type).toBe("object");
      expect(Object.keys(input.properties ?? {}).sort()).toEqual(inputFields.sort());
      expect(output.type).toBe("object");
      expect(Object.keys(output.properties ?? {}).sort()).toEqual(outputFields.sort());
      expect(output.required).toContain("sandbox");
      if (write) {
        const result = (output.properties?.result ?? {}) as Schema;
        expect(Object.keys(result.properties ?? {}).sort()).toEqual(Object.keys(tool.output).sort());
      }
    });
  }
});

// The catalogue against the real thing: a spawned server (dist/) and the MCP SDK's client, of
// each protocol generation, as a client configured with --allow-writes sees it.
describe("tools/catalog.json is the live tools/list", () => {
  const servers: RunningServer[] = [];
  afterAll(() => Promise.all(servers.map((s) => s.close())));
  it.each<Era>(["2025", "2026"])("of a %s client, tool for tool", async (era) => {
    const server = await startServer({}, ["--allow-writes"], {}, era);
    servers.push(server);
    const { tools } = await server.client.listTools();
    const listed = tools.map((t) => ({ name: t.name, title: t.title, description: t.description, annotations: t.annotations, inputSchema: t.inputSchema, outputSchema: t.outputSchema }));
    const described = catalog.tools.map(({ access: _access, ...rest }) => rest);
    // Through JSON, as the file is: keys a client got as undefined are absent in both.
    expect(JSON.parse(JSON.stringify(listed))).toEqual(JSON.parse(JSON.stringify(described)));
  });

  it("says what it is", () => {
    expect(catalog.describes).toMatch(/tools\/list .*--allow-writes/);
    expect(catalog.generator).toMatch(/npm run catalog/);
  });
});

// Why the catalogue is not made by calling zod-to-json-schema on our schemas (see
// src/mcp/catalog.ts): 3.25 reads only zod 3 and returns an empty schema for zod 4, silently.
// If this starts failing, zod-to-json-schema has learnt zod 4.
describe("zod-to-json-schema 3.25", () => {
  it("gives nothing for a zod 4 schema", () => {
    const json = zodToJsonSchema(z.object({ org_id: z.string() }) as never) as Schema;
    expect(json.properties).toBeUndefined();
  });
  it("reads the zod 3 API (zod/v3), as the MCP SDK uses it for zod 3 tool schemas", () => {
    const json = zodToJsonSchema(z3.z.object({ org_id: z3.z.string() })) as Schema;
    expect(Object.keys(json.properties ?? {})).toEqual(["org_id"]);
  });
});
