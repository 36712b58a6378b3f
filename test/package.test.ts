// The package as npm users get it: pack the built dist/, install the tarball into an empty
// directory (dependencies come from the npm registry or the local npm cache), and run the
// installed bin through its shebang: --version, `tools`, and tools/list over stdio.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { Client } from "@modelcontextprotocol/client";
import { getDefaultEnvironment, StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { allTools } from "../tools/index.js";

// Served by default (writes off).
const readTools = allTools.filter((t) => t.access === "read").map((t) => t.name);

const run = promisify(execFile);
const root = resolve(import.meta.dirname, "..");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { name: string; version: string };
const work = mkdtempSync(join(tmpdir(), "billing-mcp-pack-"));
const prefix = join(work, "install");
const bin = join(prefix, "node_modules", ".bin", "billing-mcp");
let packed: string[] = [];

beforeAll(async () => {
  // --ignore-scripts: pack the dist/ `npm test` just built; prepack would delete it under
  // the other test files running in parallel.
  const { stdout } = await run("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", work], { cwd: root });
  const [info] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
  packed = info!.files.map((f) => f.path);
  await run("npm", ["install", join(work, info!.filename), "--no-audit", "--no-fund", "--prefer-offline", "--prefix", prefix], { cwd: work });
}, 180_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("npm package", () => {
  it("ships the built server, the tools and the catalogue, not the sources or tests", () => {
    expect(packed).toContain("dist/src/cli.js");
    expect(packed).toContain("tools/catalog.json");
    expect(packed).toContain("dist/src/sandbox/viam-sandbox.js");
    expect(packed.filter((p) => /^(src|test)\/|\.ts$/.test(p))).toEqual([]);
  });

  it("installs an executable bin whose shebang runs it: --version", async () => {
    const target = join(prefix, "node_modules", pkg.name, "dist", "src", "cli.js");
    expect(readFileSync(target, "utf8").startsWith("#!/usr/bin/env node\n")).toBe(true);
    expect(statSync(target).mode & 0o111).not.toBe(0);
    const { stdout } = await run(bin, ["--version"], { env: { ...getDefaultEnvironment() } });
    expect(stdout).toBe(`${pkg.version}\n`);
  });

  it("the installed CLI lists the tools", async () => {
    const { stdout } = await run(bin, ["tools"], { env: { ...getDefaultEnvironment() } });
    expect(stdout.trimEnd().split("\n").map((l) => l.split(/\s+/)[0])).toEqual(readTools);
  });

  it("the installed server answers tools/list over stdio", async () => {
    const home = mkdtempSync(join(work, "home-"));
    const transport = new StdioClientTransport({ command: bin, args: [], env: { ...getDefaultEnvironment(), HOME: home }, stderr: "ignore" });
    const client = new Client({ name: "package-test", version: "0" });
    await client.connect(transport);
    try {
      const { tools } = await client.listTools();
      // The write tools are listed only as disabled stubs without --allow-writes.
      expect(tools.filter((t) => t.annotations?.readOnlyHint).map((t) => t.name)).toEqual(readTools);
      expect(client.getServerVersion()?.version).toBe(pkg.version);
    } finally {
      await client.close();
    }
  });
});
