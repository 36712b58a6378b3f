// Every error class comes back as a tool error that says what to do, and the server keeps serving.
import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, liveEnv, startViamSandbox, textOf } from "./harness.js";
import type { ViamSandbox } from "./harness.js";
import { startInProcess } from "./in-process.js";
import type { InProcessServer } from "./in-process.js";

let sandbox: ViamSandbox;
let server: InProcessServer;

beforeAll(async () => {
  sandbox = await startViamSandbox();
  server = await startInProcess(liveEnv(sandbox));
});
afterAll(async () => {
  await server?.close();
  await sandbox?.close();
});

const expectServing = async () => {
  const ok = await call(server.client, "viam_get_available_billing_tiers");
  expect(ok.isError).toBeFalsy();
};

describe("tool errors", () => {
  it("bad arguments: says which field and what is wrong, then keeps serving", async () => {
    const result = await call(server.client, "viam_get_current_month_usage", { org_id: 42 });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/org_id/);
    expect(textOf(result)).toMatch(/string/);
    const empty = await call(server.client, "viam_get_location_billing_organization", { location_id: "" });
    expect(empty.isError).toBe(true);
    expect(textOf(empty)).toMatch(/location_id/);
    await expect(call(server.client, "viam_no_such_tool")).rejects.toThrow(/Tool viam_no_such_tool not found/);
    await expectServing();
  });

  it("an argument the tool does not take is refused, naming the ones it does, and nothing is fetched", async () => {
    const before = sandbox.calls.get("GetInvoicesSummary") ?? 0;
    const result = await call(server.client, "viam_get_invoices_summary", { org_id: "org-acme", unpaid: true });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('unknown argument "unpaid": viam_get_invoices_summary takes org_id, status, limit, timeout');
    expect(sandbox.calls.get("GetInvoicesSummary") ?? 0).toBe(before);
    await expectServing();
  });

  it("missing org_id without VIAM_ORG_ID says how to fix it", async () => {
    const result = await call(server.client, "viam_get_invoices_summary");
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/org_id is required.*VIAM_ORG_ID/);
  });

  it("not found", async () => {
    const result = await call(server.client, "viam_get_current_month_usage", { org_id: "org-does-not-exist" });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/^Not found: usage of org "org-does-not-exist"/);
    const location = await call(server.client, "viam_get_location_billing_organization", { location_id: "loc-nowhere" });
    expect(textOf(location)).toMatch(/^Not found/);
  });

  it("permission denied names the organization-owner requirement", async () => {
    const result = await call(server.client, "viam_get_invoices_summary", { org_id: "org-restricted" });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/Permission denied.*organization-owner/);
  });

  it("deadline exceeded honours the call's timeout, then keeps serving", async () => {
    // Far longer than any scheduling delay on a shared machine: only the deadline ends the call in time.
    sandbox.faults.delayMs = 10_000;
    const started = Date.now();
    const result = await call(server.client, "viam_get_current_month_usage", { org_id: "org-acme", timeout: 0.3 });
    sandbox.faults.delayMs = 0;
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/did not answer .* within 0.3 s/);
    expect(Date.now() - started).toBeLessThan(5_000);
    await expectServing();
  });

  it("never shows the API key or the bearer token", async () => {
    const texts: string[] = [];
    for (const args of [{ org_id: "org-restricted" }, { org_id: "org-acme" }, { org_id: "nope" }]) {
      texts.push(JSON.stringify(await call(server.client, "viam_get_invoices_summary", args)));
    }
    const all = texts.join("\n") + server.stderr();
    expect(all).not.toContain(sandbox.apiKey);
    expect(all).not.toMatch(/Bearer [A-Za-z0-9]/);
    expect(all).not.toMatch(/\n\s+at .*\.js:\d+/); // no stack traces
  });
});

describe("connection errors", () => {
  it("rejected credentials name the variables", async () => {
    const bad = await startInProcess(liveEnv(sandbox, { VIAM_API_KEY: "wrong-key-value" }));
    try {
      const result = await call(bad.client, "viam_get_current_month_usage", { org_id: "org-acme" });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(/VIAM_API_KEY_ID and VIAM_API_KEY/);
      expect(textOf(result)).not.toContain("wrong-key-value");
    } finally {
      await bad.close();
    }
  });

  it("a half-set key names the missing variable and does not fall back to the sandbox", async () => {
    const half = await startInProcess({ VIAM_API_KEY: "only-the-key" });
    try {
      const result = await call(half.client, "viam_get_available_billing_tiers");
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(/VIAM_API_KEY_ID is not set/);
    } finally {
      await half.close();
    }
  });

  it("an unreachable host is reported as unavailable", async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, "127.0.0.1", () => {
        const address = probe.address();
        probe.close(() => resolve(typeof address === "object" && address ? address.port : 0));
      });
    });
    const down = await startInProcess(liveEnv(sandbox, { VIAM_SERVICE_HOST: `http://127.0.0.1:${port}` }));
    try {
      const result = await call(down.client, "viam_get_available_billing_tiers", { timeout: 5 });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(/unavailable|VIAM_SERVICE_HOST/i);
    } finally {
      await down.close();
    }
  });
});
