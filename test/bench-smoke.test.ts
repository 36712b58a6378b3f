// npm run bench, in its quick mode: it runs end to end and prints every figure. No timing is
// asserted here (the machine is shared and small); the figures themselves are for npm run bench.
import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const BENCH = resolve(import.meta.dirname, "../dist/bench/run.js");
const FIGURES = ["startup", "per-call", "concurrency", "rss-calls", "rss-pdf", "line-64mb", "tools-list-tokens", "usage-text-tokens"];

describe("npm run bench --quick", () => {
  it("prints every figure with its baseline, and a summary", { timeout: 120_000 }, async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [BENCH, "--quick"], { timeout: 110_000 });
    expect(stdout).toMatch(/^billing-mcp bench \(quick[^\n]*: \d+ cores/);
    for (const figure of FIGURES) expect(stdout, figure).toMatch(new RegExp(`^\\[${figure}\\] (MET |MISSED) \\S.+\\(target [^)]+\\)$`, "m"));
    expect(stdout).toMatch(/nonzero figures missing from the text: none/);
    expect(stdout).toMatch(/^\d of 8 targets met; \d+ s$/m);
  });
});
