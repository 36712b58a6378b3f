// Hostile input, property-based (fast-check): thousands of random and adversarial arguments
// at every tool, writes included. Every served input schema is fuzzed directly (many runs,
// cheap); then one server takes ~1,800 calls through the real MCP client. That server runs in
// this process (test/in-process.ts), so a handler that polluted a prototype would be seen here:
// the pollution check looks at the very Object.prototype the tools ran against.
// Every call must end as a valid result or a clear tool error: never a crash, a hang, an
// "unexpected" error or a stack trace; nothing is ever written upstream without confirmation.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { ProtocolError } from "@modelcontextprotocol/client";
import type { CallToolResult } from "@modelcontextprotocol/client";
import { z } from "zod";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { allTools } from "../tools/index.js";
import { LATITUDE_SANDBOX_PROJECTS } from "../src/sandbox/latitude-data.js";
import { LOCATIONS, ORG, TIERS } from "../src/sandbox/data.js";
import { toolInputSchema, toolInputShape } from "../src/mcp/server.js";
import { liveEnv, startViamSandbox, textOf } from "./harness.js";
import type { ViamSandbox } from "./harness.js";
import { startInProcess } from "./in-process.js";
import type { InProcessServer } from "./in-process.js";
import { STACK_TRACE } from "./process-harness.js";

const SEED = 20_260_606; // fixed: a failure names its seed and path, and reruns the same way
const WRITE_RPCS = ["SendPaymentRequiredEmail", "UpdateOrganizationBillingTier", "UpdateLocationBillingOrganization", "ChargeOrganization", "CreateInvoiceAndChargeImmediately"];

// ---- arbitraries ----

const nasty = [
  "", " ", "\t", "\u0000", "a\u0000b", "\u0007", "\u001b[31mred", "line\nbreak", "\r\n", "\u0085", "\u2028", "\u202eevil", "\u2066x\u2069",
  "\u200b", "zero\u200dwidth", "\ufeffbom", "\ud800", "\udfff", "a\ud83d", "😀", "👩‍👩‍👧‍👦", "e\u0301", "Ω≈ç√", "ｆｕｌｌ", "مرحبا", "漢字",
  "__proto__", "constructor", "prototype", "toString", "hasOwnProperty", "{}", "[]", "null", "undefined", "NaN", "-1", "1e309",
  "../../../etc/passwd", "..\\..\\x.pdf", "/etc/passwd.pdf", "~/x.pdf", "a/b/c.pdf", "CON.pdf", "x.pdf\u0000.txt", "%00.pdf", "file:///x.pdf",
  "'; DROP TABLE invoices; --", "<script>alert(1)</script>", "${process.env.VIAM_API_KEY}", "{{7*7}}", "%s%s%s%n", "Bearer abc.def",
  "a".repeat(128), "a".repeat(129), "a".repeat(1025), "é".repeat(600), `${"a".repeat(300)}.pdf`,
];
const adversarialString = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...nasty) },
  { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: "grapheme", maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) }, // any code point, lone surrogates included
  { weight: 1, arbitrary: fc.string({ unit: "binary", minLength: 1000, maxLength: 5000 }) },
  { weight: 1, arbitrary: fc.constantFrom("x".repeat(100_000), `${"../".repeat(5000)}x.pdf`) },
);
const adversarialNumber = fc.oneof(
  fc.constantFrom(0, -0, -1, 0.1, 0.099, 1e-9, 1, 1.5, 30, 500, 501, 600, 600.0001, 2 ** 53, -(2 ** 53), 1e308, Number.MAX_VALUE, Number.MIN_VALUE),
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY),
  fc.integer(),
  fc.double(), // NaN and the infinities included
);
const pollutingKeys = fc.constantFrom("__proto__", "constructor", "prototype", "toString", "valueOf", "hasOwnProperty", "__defineGetter__", "then");
const scalar = fc.oneof(adversarialString, adversarialNumber, fc.boolean(), fc.constant(null));
const adversarialValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    { weight: 6, arbitrary: scalar },
    { weight: 1, arbitrary: fc.array(tie("value"), { maxLength: 5 }) },
    { weight: 1, arbitrary: fc.dictionary(fc.oneof(pollutingKeys, fc.string({ maxLength: 8 })), tie("value"), { maxKeys: 4 }) },
  ),
})).value;

/** Values a field of this name takes when used right; the fuzzers mix them with adversarial ones. */
function plausible(field: string): unknown[] {
  const orgs = [...Object.values(ORG), "org-nope"];
  const projects = [...LATITUDE_SANDBOX_PROJECTS.flatMap((p) => [p.id, p.slug]), "proj_nope"];
  if (/org_ids$/.test(field)) return [[], [ORG.acme], orgs.slice(0, 3), ["org-nope", ORG.restricted]];
  if (/latitude_projects$/.test(field)) return [[], projects.slice(0, 2), ["proj_nope"]];
  if (/org_id|organization_id/.test(field)) return orgs;
  if (field === "invoice_id") return ["inv_nope", "inv_acme_archive_large_nope", "in_1"];
  if (field === "location_id") return [...Object.values(LOCATIONS), "loc-nope"];
  if (field === "dest") return ["x.pdf", "sub/y.pdf", "../escape.pdf", "/tmp/abs.pdf", "note.txt", ".pdf", `${"n".repeat(300)}.pdf`, "a/../b.pdf"];
  if (field === "status") return ["paid", "unpaid", "outstanding", " unpaid ", "PAID", "in_review"];
  if (field === "limit") return [1, 24, 500, 0, 501, 2.5];
  if (field === "timeout") return [0.1, 0.5, 2, 30, 600, 0, -1, 601];
  if (field === "project") return projects;
  if (field === "products") return [[], ["si_sbx_web01"], ["si_nope"]];
  if (field === "plan") return ["c2-small-x86", "none"];
  if (field === "billing_tier") return [...TIERS, "platinum"];
  if (/subtotal|tax|amount/.test(field)) return [0, 1, 12.34, 0.001, -5, 1e9, 1e12];
  if (field === "description") return ["Setup fee", "x".repeat(500), "x".repeat(501)];
  if (/^(confirm|overwrite|disable_|allow_)/.test(field)) return [true, false];
  if (field === "confirmation_token") return ["tok_nope", "x".repeat(200)];
  return ["x"];
}

/** Arguments for `tool`: each of its fields absent, plausible or adversarial, plus stray keys. */
function argumentsFor(fields: string[]): fc.Arbitrary<Record<string, unknown>> {
  const known = Object.fromEntries(
    fields.map((f) => [f, fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...plausible(f)) }, { weight: 1, arbitrary: adversarialValue })]),
  );
  const stray = fc.dictionary(fc.oneof(pollutingKeys, fc.string({ maxLength: 12 })), adversarialValue, { maxKeys: 2 });
  return fc.tuple(fc.record(known, { requiredKeys: [] }), fc.oneof({ weight: 3, arbitrary: fc.constant({}) }, { weight: 1, arbitrary: stray })).map(([a, b]) => {
    // Own properties even for "__proto__", as JSON.parse makes them on the server side.
    const out: Record<string, unknown> = {};
    for (const source of [b, a]) for (const key of Object.keys(source)) Object.defineProperty(out, key, { value: (source as Record<string, unknown>)[key], enumerable: true, writable: true, configurable: true });
    return out;
  });
}
/** Anything at all as an arguments object. */
const anyArguments = fc.dictionary(fc.oneof(pollutingKeys, fc.string({ maxLength: 12 })), adversarialValue, { maxKeys: 6 });

// ---- the invariants ----

const UNSAFE = /[\p{Cc}\p{Cs}\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

/** Whatever a schema accepted is bounded, printable and finite, all the way down. */
function assertSane(value: unknown, path: string): void {
  if (typeof value === "string") {
    expect(value.length, path).toBeLessThanOrEqual(1024);
    expect(UNSAFE.test(value), `${path} carries a control character`).toBe(false);
  } else if (typeof value === "number") {
    expect(Number.isFinite(value), `${path} is not finite`).toBe(true);
  } else if (Array.isArray(value)) {
    expect(value.length, path).toBeLessThanOrEqual(100);
    value.forEach((v, i) => assertSane(v, `${path}[${i}]`));
  } else if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) assertSane(v, `${path}.${k}`);
  }
}

/** Whether anything has been written onto the shared prototypes (what `__proto__` merges do). */
function assertNotPolluted(): void {
  expect(Object.getOwnPropertyNames(Object.prototype).filter((k) => !PRISTINE.object.has(k)), "Object.prototype").toEqual([]);
  expect(Object.getOwnPropertyNames(Array.prototype).filter((k) => !PRISTINE.array.has(k)), "Array.prototype").toEqual([]);
  expect(Object.keys(Object.prototype)).toEqual([]);
}
const PRISTINE = { object: new Set(Object.getOwnPropertyNames(Object.prototype)), array: new Set(Object.getOwnPropertyNames(Array.prototype)) };

describe("the pollution check", () => {
  it("fails when a prototype has been written to", () => {
    for (const [proto, key] of [[Object.prototype, "polluted"], [Array.prototype, "isAdmin"]] as const) {
      (proto as Record<string, unknown>)[key] = true;
      try {
        expect(() => assertNotPolluted()).toThrow();
      } finally {
        delete (proto as Record<string, unknown>)[key];
      }
    }
    assertNotPolluted();
  });
});

const tools = allTools.map((tool) => ({ tool, schema: toolInputSchema(tool), shape: toolInputShape(tool), fields: Object.keys(toolInputShape(tool)) }));

describe("every served input schema, in process", () => {
  it("covers every tool, writes included", () => {
    expect(tools.length).toBe(allTools.length);
    expect(tools.some((t) => t.tool.access === "write")).toBe(true);
  });

  for (const { tool, schema, shape, fields } of tools) {
    it(`${tool.name}: random and adversarial arguments parse to success or a validation error, and what passes is sane`, () => {
      let accepted = 0;
      fc.assert(
        fc.property(fc.oneof(argumentsFor(fields), anyArguments), (args) => {
          const parsed = schema.safeParse(args); // never throws
          if (parsed.success) {
            accepted++;
            assertSane(parsed.data, tool.name);
            expect(Object.keys(args as object).every((k) => fields.includes(k))).toBe(true); // stray keys refused
          } else {
            expect(parsed.error.issues.length).toBeGreaterThan(0);
          }
        }),
        { numRuns: 2_500, seed: SEED },
      );
      assertNotPolluted();
      expect(accepted).toBeGreaterThan(0); // the generator reaches the handler's side too
    });

    it(`${tool.name}: every field that takes a string bounds it and refuses control characters`, () => {
      for (const field of fields) {
        const fieldSchema = z.object({ [field]: shape[field]! });
        const accepts = (value: unknown) => fieldSchema.safeParse({ [field]: value }).success;
        const sample = plausible(field).find((v) => accepts(v) && (typeof v === "string" || (Array.isArray(v) && typeof v[0] === "string")));
        if (sample === undefined) continue; // takes no string we know of (numbers, booleans): covered by the property above
        // Inside the value: at its ends, whitespace such as U+2028 is trimmed, legitimately.
        const inside = (s: string, bad: string) => `${s.slice(0, 1)}${bad}${s.slice(1)}`;
        const variants = (s: string) => [s.padEnd(100_000, "a"), ...["\u0000", "\u0007", "\u001b[0m", "\n", "\u0085", "\u202e", "\u2066", "\ud800", "\u2028"].map((c) => inside(s, c))];
        for (const bad of variants(Array.isArray(sample) ? (sample[0] as string) : (sample as string))) {
          const value = Array.isArray(sample) ? [bad] : bad;
          expect(accepts(value), `${tool.name}.${field} accepted ${JSON.stringify(bad.slice(0, 40))}`).toBe(false);
        }
      }
    });
  }
});

describe("one server (in this process), ~1,800 hostile calls through the MCP client", () => {
  let sandbox: ViamSandbox;
  let server: InProcessServer;
  beforeAll(async () => {
    sandbox = await startViamSandbox();
    const audit = join(mkdtempSync(join(tmpdir(), "billing-mcp-audit-")), "audit.jsonl");
    // Writes on (their schemas and gate get fuzzed too); Latitude.sh from its embedded sandbox.
    server = await startInProcess(liveEnv(sandbox, { VIAM_ORG_ID: ORG.acme, BILLING_MCP_AUDIT_LOG: audit, BILLING_MCP_LOG_LEVEL: "info" }), ["--allow-writes"]);
  });
  afterAll(async () => {
    await server?.close();
    await sandbox?.close();
  });

  const outcomes = { results: 0, toolErrors: 0, protocolErrors: 0 };

  /** One call; must settle in time as a result (success or clear tool error) or an invalid-params protocol error. */
  async function hostileCall(name: string, args: unknown): Promise<void> {
    let result: CallToolResult;
    try {
      result = (await server.client.request({ method: "tools/call", params: { name, arguments: args as Record<string, unknown> } }, { timeout: 15_000 })) as CallToolResult;
    } catch (err) {
      // Only a malformed request (arguments not an object) or a tool this server does not serve
      // may be refused at the protocol level, with invalid params and what is wrong.
      const where = `${name}(${JSON.stringify(args)?.slice(0, 200)})`;
      expect(err, where).toBeInstanceOf(ProtocolError);
      expect([-32602, -32603]).toContain((err as ProtocolError).code);
      if (tools.some((t) => t.tool.name === name)) {
        expect(args === null || typeof args !== "object" || Array.isArray(args), where).toBe(true);
        expect((err as ProtocolError).message, where).toMatch(/arguments[\s\S]*expected record/);
      } else {
        // "disabled" for names such as toString: the SDK looks tool names up in a plain object.
        expect((err as ProtocolError).message, where).toMatch(/arguments[\s\S]*expected record|^Tool [\s\S]* (not found|disabled)$/);
      }
      outcomes.protocolErrors++;
      return;
    }
    const text = textOf(result);
    const where = `${name}(${JSON.stringify(args)?.slice(0, 300)}) -> ${text.slice(0, 300)}`;
    if (result.isError) {
      outcomes.toolErrors++;
      expect(text.length, where).toBeGreaterThan(10);
      expect(text, where).not.toMatch(/This is a bug in billing-mcp|Output validation error|failed unexpectedly|\bat .+\.js:\d+/);
      expect(text, where).not.toMatch(STACK_TRACE);
    } else {
      outcomes.results++;
      expect(result.structuredContent, where).toBeTypeOf("object");
    }
  }

  it("near-valid and random arguments at every tool", async () => {
    const started = Date.now();
    for (const { tool, fields } of tools) {
      await fc.assert(
        fc.asyncProperty(fc.oneof({ weight: 3, arbitrary: argumentsFor(fields) }, { weight: 1, arbitrary: anyArguments }), (args) => hostileCall(tool.name, args)),
        { numRuns: 130, seed: SEED },
      );
    }
    console.info(`${tools.length} tools x 130 calls in ${Date.now() - started} ms`, outcomes);
    expect(outcomes.results).toBeGreaterThan(50); // plenty reached the handlers and succeeded
    expect(outcomes.toolErrors).toBeGreaterThan(500);
  });

  it("arguments that are not an object, and tool names that do not exist", async () => {
    const started = Date.now();
    const names = fc.oneof(fc.constantFrom(...tools.map((t) => t.tool.name)), fc.constantFrom(...nasty), fc.string({ unit: "binary", maxLength: 60 }));
    const notObjects = fc.oneof(fc.constant(null), fc.constant("org-acme"), fc.constant(42), fc.array(adversarialValue, { maxLength: 3 }), fc.boolean());
    await fc.assert(
      fc.asyncProperty(fc.tuple(names, fc.oneof(notObjects, anyArguments)), ([name, args]) => hostileCall(name, args)),
      { numRuns: 300, seed: SEED },
    );
    // Many calls at once, all hostile: the server answers each.
    const burst = fc.sample(fc.tuple(fc.constantFrom(...tools.map((t) => t.tool.name)), anyArguments), { numRuns: 200, seed: SEED });
    await Promise.all(burst.map(([name, args]) => hostileCall(name, args)));
    console.info(`500 more hostile calls in ${Date.now() - started} ms`, outcomes);
  });

  it("afterwards: still answers a normal call, wrote nothing upstream, printed no stack trace, prototypes intact", async () => {
    const ok = await server.client.callTool({ name: "viam_get_invoices_summary", arguments: { org_id: ORG.acme, limit: 2 } });
    expect(ok.isError, textOf(ok)).toBeFalsy();
    expect(ok.structuredContent).toMatchObject({ org_id: ORG.acme, shown_invoices: 2 });
    expect(WRITE_RPCS.map((rpc) => sandbox.calls.get(rpc) ?? 0)).toEqual([0, 0, 0, 0, 0]); // no confirmation, no write
    expect(server.stderr()).not.toMatch(STACK_TRACE);
    expect(server.stderr()).not.toMatch(/failed unexpectedly|internal error/);
    assertNotPolluted(); // the tools ran in this process: their prototypes are these
  });
});
