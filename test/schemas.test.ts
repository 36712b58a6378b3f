import { describe, expect, it } from "vitest";
import { z } from "zod";
import { allTools } from "../tools/index.js";

describe("tool definitions", () => {
  it("names are unique and snake_case", () => {
    const names = allTools.map((t) => t.name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(/^[a-z]+(_[a-z]+)+$/);
  });

  for (const tool of allTools) {
    describe(tool.name, () => {
      it("documents every input field, and its JSON Schema has them", () => {
        for (const [field, schema] of Object.entries(tool.input)) {
          expect(schema.description, `${tool.name}.${field}`).toBeTruthy();
        }
        const json = z.toJSONSchema(z.object(tool.input)) as { properties?: Record<string, unknown> };
        expect(Object.keys(json.properties ?? {})).toEqual(Object.keys(tool.input));
      });

      it("has a title, a description for the model, and hints that agree with its access class", () => {
        expect(tool.title.length).toBeGreaterThan(3);
        expect(tool.description.length).toBeGreaterThan(40);
        if (tool.access === "read") {
          expect(tool.annotations.destructiveHint).toBe(false);
        }
        expect(tool.annotations.openWorldHint).toBe(true);
      });

      it("has an output schema", () => {
        expect(Object.keys(tool.output).length).toBeGreaterThan(0);
      });
    });
  }

  it("rejects hostile ids with a message that says what to fix", () => {
    const usage = allTools.find((t) => t.name === "viam_get_current_month_usage")!;
    const schema = z.object(usage.input);
    expect(schema.safeParse({ org_id: "org-acme" }).success).toBe(true);
    for (const bad of ["", "   ", "a\u0000b", "x".repeat(129)]) {
      const result = schema.safeParse({ org_id: bad });
      expect(result.success, JSON.stringify(bad)).toBe(false);
      expect(result.error?.issues[0]?.message).toMatch(/empty|characters|control/);
    }
  });
});
