// `npm test` must pass on every day of the month: the date-dependent suites run again here,
// each at every instant of CALENDAR_INSTANTS (their servers and sandboxes pinned to it).
import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { CALENDAR_INSTANTS } from "./clock.js";

const DATE_DEPENDENT_SUITES = ["test/spend.test.ts", "test/overview.test.ts", "test/sandbox.test.ts", "test/prompts.test.ts", "test/usage-sums.test.ts", "test/invoice-lists.test.ts"];
const VITEST = resolve(import.meta.dirname, "../node_modules/vitest/vitest.mjs");

function runSuitesAt(instant: string): Promise<{ code: number | null; output: string }> {
  // Worker threads: cheaper to start than the default forks, and these suites need no process of their own.
  const child = spawn(process.execPath, [VITEST, "run", "--pool=threads", ...DATE_DEPENDENT_SUITES], {
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
  // Two instants at a time: a run spends much of its time waiting (sandbox delays, timers),
  // so two overlap well even on 2 cores; more would only contend.
  const slots = limit(2);
  it.concurrent.each(Object.entries(CALENDAR_INSTANTS))("%s (%s)", async (_name, instant) => {
    const { code, output } = await slots(() => runSuitesAt(instant));
    const failures = output.split("\n").filter((line) => /(FAIL|×)/.test(line)).slice(0, 20).join("\n");
    expect(code, `at ${instant}:\n${failures || output.slice(-3000)}`).toBe(0);
  }, 240_000);
});

/** Run at most `n` of the given tasks at once. */
function limit(n: number) {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (running >= n) await new Promise<void>((go) => waiting.push(go));
    running++;
    try {
      return await task();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}
