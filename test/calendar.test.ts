// `npm test` must pass on every day of the month: the date-dependent suites run again here,
// each at every instant of CALENDAR_INSTANTS (their servers and sandboxes pinned to it).
import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { CALENDAR_INSTANTS } from "./clock.js";

const DATE_DEPENDENT_SUITES = ["test/spend.test.ts", "test/overview.test.ts", "test/sandbox.test.ts", "test/prompts.test.ts", "test/usage-sums.test.ts", "test/invoice-lists.test.ts"];
const VITEST = resolve(import.meta.dirname, "../node_modules/vitest/vitest.mjs");

function runSuitesAt(instant: string): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [VITEST, "run", ...DATE_DEPENDENT_SUITES], {
    cwd: resolve(import.meta.dirname, ".."),
    env: { ...process.env, BILLING_MCP_TEST_NOW: instant, FORCE_COLOR: "0" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr.on("data", (d: Buffer) => (output += d.toString()));
  return new Promise((done) => child.on("close", (code) => done({ code, output })));
}

// Not when this file is itself being run at a pinned instant (it would recurse).
describe.skipIf(process.env.BILLING_MCP_TEST_NOW !== undefined)("the date-dependent suites at every pinned instant", () => {
  it.each(Object.entries(CALENDAR_INSTANTS))("%s (%s)", async (_name, instant) => {
    const { code, output } = await runSuitesAt(instant);
    const failures = output.split("\n").filter((line) => /(FAIL|×)/.test(line)).slice(0, 20).join("\n");
    expect(code, `at ${instant}:\n${failures || output.slice(-3000)}`).toBe(0);
  }, 120_000);
});
