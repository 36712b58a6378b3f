// What tools/list shows of a tool's input schema and hints, as short as it can be without
// changing what it says: a model sees them in every conversation's context (output schemas are
// for clients, which validate answers and type calls with them: they are listed as zod gives
// them). The SDK lists a schema from its Standard Schema `~standard.jsonSchema` converter and
// validates with `~standard.validate`, so a zod schema wrapped here is validated exactly as zod
// validates it, and listed compact and without converting it again.
import type { StandardSchemaWithJSON, ToolAnnotations } from "@modelcontextprotocol/server";
import type { z } from "zod";
import type { ToolDefinition } from "./tool-definition.js";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = Record<string, unknown>;

/**
 * A zod object whose listed input JSON Schema drops what costs tokens and says nothing:
 * - the `$schema` URL;
 * - zod's safe-integer bounds on integers, string length bounds and the bounds of decimal
 *   numbers (sanity limits such as timeout 0.1-600 s or amounts up to 1e9 USD: the server
 *   checks them and its refusal names the limit; integer bounds such as an invoice list's
 *   limit stay, as they tell the model what it may ask for), and `propertyNames:
 *   {type: "string"}` (JSON keys are strings).
 */
export function compactInputSchema<T extends z.ZodType>(schema: T): T & StandardSchemaWithJSON {
  return listedSchema(schema, (json) => compactSchema(json as Json) as JsonObject);
}

/**
 * A zod schema whose JSON Schema is converted once per target and then served from that: the SDK
 * converts every tool's schemas on every tools/list, and in HTTP mode every request builds a new
 * McpServer over the same schemas. Each caller gets its own copy. `shape` rewrites the
 * converted JSON Schema (compactInputSchema's compaction); validation is zod's own.
 */
export function listedSchema<T extends z.ZodType>(schema: T, shape: (json: JsonObject) => JsonObject = (json) => json): T & StandardSchemaWithJSON {
  const std = schema["~standard"] as unknown as StandardSchemaWithJSON["~standard"];
  const converted = new Map<string, string>();
  const cached =
    (io: "input" | "output") =>
    (options: Parameters<StandardSchemaWithJSON["~standard"]["jsonSchema"]["input"]>[0]): JsonObject => {
      const key = `${io} ${JSON.stringify(options)}`;
      let json = converted.get(key);
      if (json === undefined) {
        json = JSON.stringify(shape(std.jsonSchema[io](options)));
        converted.set(key, json);
      }
      return JSON.parse(json) as JsonObject;
    };
  const wrapped: StandardSchemaWithJSON["~standard"] = { ...std, validate: std.validate, jsonSchema: { input: cached("input"), output: cached("output") } };
  // A new object with the zod schema as prototype, so it is still the same zod schema (parse,
  // safeParse) with only its `~standard` view changed.
  return Object.create(schema, { "~standard": { value: wrapped, enumerable: false } }) as T & StandardSchemaWithJSON;
}

/**
 * The tool's annotations as listed. readOnlyHint and openWorldHint are always stated, and a
 * writer states all four: clients differ in how they treat a missing one, and a billing tool's
 * safety class should never depend on a default. destructiveHint and idempotentHint of a
 * read-only tool are left out: MCP defines them only for tools that are not read-only.
 */
export function listedAnnotations(tool: ToolDefinition): ToolAnnotations {
  const readOnly = tool.access === "read";
  const all: ToolAnnotations = { readOnlyHint: readOnly, ...tool.annotations };
  return Object.fromEntries(Object.entries(all).filter(([key]) => !(readOnly && (key === "destructiveHint" || key === "idempotentHint")))) as ToolAnnotations;
}

const SAFE_BOUND = Number.MAX_SAFE_INTEGER;

export function compactSchema(schema: Json): Json {
  if (Array.isArray(schema)) return schema.map((s) => compactSchema(s));
  if (schema === null || typeof schema !== "object") return schema;
  const out: { [key: string]: Json } = {};
  const decimal = schema.type === "number";
  for (const [key, value] of Object.entries(schema)) {
    if (key === "$schema") continue;
    if (decimal && (key === "minimum" || key === "maximum")) continue;
    if (key === "propertyNames" && isStringType(value)) continue;
    if ((key === "minimum" && value === -SAFE_BOUND) || (key === "maximum" && value === SAFE_BOUND)) continue;
    if (key === "minLength" || key === "maxLength") continue;
    // Under "properties" the keys are field names, not schema keywords.
    out[key] =
      key === "properties" && value && typeof value === "object" && !Array.isArray(value)
        ? Object.fromEntries(Object.entries(value).map(([field, s]) => [field, compactSchema(s)]))
        : compactSchema(value);
  }
  return out;
}

const isStringType = (v: Json) => typeof v === "object" && v !== null && !Array.isArray(v) && Object.keys(v).length === 1 && v.type === "string";
