// MCP prompts through a real client (in-process, from source): listed with their arguments, rendered with
// the arguments and the tools to call, refused with bad arguments, hidden without their tools.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { allPrompts } from "../src/mcp/prompts.js";
import { testClock } from "./clock.js";
import { startInProcess } from "./in-process.js";
import type { InProcessServer } from "./in-process.js";

let server: InProcessServer;
beforeAll(async () => {
  server = await startInProcess({ VIAM_ORG_ID: "org-default" });
});
afterAll(async () => {
  await server?.close();
});

const textOfPrompt = (result: { messages: { role: string; content: { type: string; text?: string } }[] }) => {
  expect(result.messages.length).toBeGreaterThan(0);
  expect(result.messages.every((m) => m.role === "user" && m.content.type === "text")).toBe(true);
  return result.messages.map((m) => m.content.text ?? "").join("\n");
};

describe("prompts", () => {
  it("lists both prompts with titles and described arguments", async () => {
    const { prompts } = await server.client.listPrompts();
    expect(prompts.map((p) => p.name)).toEqual(["monthly_billing_review", "unpaid_invoices_follow_up"]);
    const review = prompts.find((p) => p.name === "monthly_billing_review")!;
    expect(review.title).toBeTruthy();
    expect(review.arguments).toEqual([{ name: "org_id", description: expect.stringMatching(/organization/), required: false }]);
    const followUp = prompts.find((p) => p.name === "unpaid_invoices_follow_up")!;
    expect(followUp.arguments?.map((a) => [a.name, a.required])).toEqual([["org_id", true], ["days_overdue", false]]);
    for (const arg of followUp.arguments ?? []) expect(arg.description).toBeTruthy();
  });

  it("monthly_billing_review renders the org and names the tools to call", async () => {
    const text = textOfPrompt(await server.client.getPrompt({ name: "monthly_billing_review", arguments: { org_id: "org-acme" } }));
    expect(text).toContain('org_id "org-acme"');
    for (const tool of allPrompts.find((p) => p.name === "monthly_billing_review")!.tools) expect(text).toContain(tool);
    expect(text).toMatch(/projection/i);
    expect(text).toMatch(/failed payments/i);
    expect(text).toMatch(/previous_period_total/);
    expect(text).toContain("latitude_projects []");
    expect(text).not.toMatch(/straight-line|linear/i);
    expect(text).toMatch(new RegExp(`Today is ${testClock().toISOString().slice(0, 10)}`));
  });

  it("asks only for what the tools answer: every field a prompt names is in a tool's output", async () => {
    const catalog = JSON.parse(readFileSync(resolve(import.meta.dirname, "../tools/catalog.json"), "utf8")) as { tools: { name: string; inputSchema: unknown; outputSchema?: unknown }[] };
    const names = new Set<string>();
    const collect = (schema: unknown): void => {
      if (typeof schema !== "object" || schema === null) return;
      for (const [key, value] of Object.entries(schema)) {
        if (key === "properties" && typeof value === "object" && value !== null) Object.keys(value).forEach((k) => names.add(k));
        collect(value);
      }
    };
    for (const tool of catalog.tools) (collect(tool.outputSchema), collect(tool.inputSchema), names.add(tool.name));
    for (const prompt of allPrompts) {
      const text = textOfPrompt(await server.client.getPrompt({ name: prompt.name, arguments: { org_id: "org-acme" } }));
      const fields = [...new Set(text.match(/\b[a-z]+(?:_[a-z]+)+\b/g))].filter((w) => !/^(org|viam)_$/.test(w));
      expect(fields.length).toBeGreaterThan(2);
      expect(fields.filter((f) => !names.has(f)), prompt.name).toEqual([]);
    }
  });

  it("monthly_billing_review without org_id uses the server's default organization", async () => {
    const text = textOfPrompt(await server.client.getPrompt({ name: "monthly_billing_review", arguments: {} }));
    expect(text).toContain("org-default");
    expect(text).toContain('org_id "org-default"');
  });

  it("unpaid_invoices_follow_up renders org_id and days_overdue into the steps", async () => {
    const text = textOfPrompt(await server.client.getPrompt({ name: "unpaid_invoices_follow_up", arguments: { org_id: "org-fieldworks", days_overdue: "30" } }));
    expect(text).toContain('viam_get_invoices_summary with org_id "org-fieldworks" and status "unpaid"');
    expect(text).toContain('viam_get_org_billing_information with org_id "org-fieldworks"');
    const today = /Today is (\d{4}-\d\d-\d\d)/.exec(text)![1]!;
    const cutoff = new Date(Date.parse(today) - 30 * 86_400_000).toISOString().slice(0, 10);
    expect(text).toContain(`at least 30 days: due_date on or before ${cutoff}`);
    expect(text).toMatch(/do not send anything/);
  });

  it("unpaid_invoices_follow_up without days_overdue keeps every unpaid invoice", async () => {
    const text = textOfPrompt(await server.client.getPrompt({ name: "unpaid_invoices_follow_up", arguments: { org_id: "org-acme" } }));
    expect(text).toMatch(/Keep every invoice it returns/);
  });

  it("refuses a missing org_id or a days_overdue that is not a number", async () => {
    await expect(server.client.getPrompt({ name: "unpaid_invoices_follow_up", arguments: {} })).rejects.toThrow(/org_id/);
    await expect(server.client.getPrompt({ name: "unpaid_invoices_follow_up", arguments: { org_id: "org-acme", days_overdue: "a month" } })).rejects.toThrow(
      /whole number of days/,
    );
  });

  it("a prompt whose tools are not all served is not offered", async () => {
    const narrow = await startInProcess({}, ["--tools", "viam_get_invoices_summary,viam_get_org_billing_information"]);
    try {
      const { prompts } = await narrow.client.listPrompts();
      expect(prompts.map((p) => p.name)).toEqual(["unpaid_invoices_follow_up"]);
      await expect(narrow.client.getPrompt({ name: "monthly_billing_review", arguments: {} })).rejects.toThrow(/not found/);
    } finally {
      await narrow.close();
    }
  });
});
