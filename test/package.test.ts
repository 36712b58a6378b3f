// The package as npm users get it: pack the built dist/, install the tarball with no dev
// dependencies into an empty directory, and run the installed bin through its shebang:
// --version, `tools`, and a session over stdio (initialize, tools/list, tool calls against the
// embedded sandbox). The bundle inlines every runtime dependency (scripts/build.ts), so the
// package declares none and ships only the bundle: nothing is fetched, nothing unused is packed.
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { Client } from "@modelcontextprotocol/client";
import { getDefaultEnvironment, StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { allTools } from "../tools/index.js";
import { clockEnv } from "./clock.js";

// Served by default (writes off).
const readTools = allTools.filter((t) => t.access === "read").map((t) => t.name);

const run = promisify(execFile);
const root = resolve(import.meta.dirname, "..");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { name: string; version: string; dependencies?: Record<string, string> };
const work = mkdtempSync(join(tmpdir(), "billing-mcp-pack-"));
const prefix = join(work, "install");
const bin = join(prefix, "node_modules", ".bin", "billing-mcp");
const installed = join(prefix, "node_modules");
let packed: string[] = [];

beforeAll(async () => {
  // --ignore-scripts: pack the dist/ `npm test` just built; prepack would delete it under
  // the other test files running in parallel.
  const { stdout } = await run("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", work], { cwd: root });
  const [info] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
  packed = info!.files.map((f) => f.path).sort();
  // --offline: a package with no dependencies installs without the registry.
  await run("npm", ["install", join(work, info!.filename), "--omit=dev", "--offline", "--no-audit", "--no-fund", "--prefix", prefix], { cwd: work });
}, 180_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("npm package", () => {
  it("declares no runtime dependency: the bundle carries them", () => {
    expect(pkg.dependencies ?? {}).toEqual({});
  });

  it("ships the bundle and its chunks, the spend app's page, package.json and README, nothing else", () => {
    const chunks = packed.filter((p) => p.startsWith("dist/src/chunks/"));
    expect(chunks.length).toBeGreaterThan(0);
    expect(chunks.every((p) => /^dist\/src\/chunks\/[\w.-]+\.js$/.test(p))).toBe(true);
    expect(packed.filter((p) => !chunks.includes(p))).toEqual(["README.md", "dist/src/app/spend.html", "dist/src/cli.js", "package.json"]);
  });

  it("installs nothing but itself with --omit=dev", () => {
    expect(readdirSync(installed).sort()).toEqual([".bin", ".package-lock.json", pkg.name]);
  });

  it("installs an executable bin whose shebang runs it: --version", async () => {
    const target = join(installed, pkg.name, "dist", "src", "cli.js");
    expect(readFileSync(target, "utf8").startsWith("#!/usr/bin/env node\n")).toBe(true);
    expect(statSync(target).mode & 0o111).not.toBe(0);
    const { stdout } = await run(bin, ["--version"], { env: { ...getDefaultEnvironment() } });
    expect(stdout).toBe(`${pkg.version}\n`);
  });

  it("the installed CLI lists the tools", async () => {
    const { stdout } = await run(bin, ["tools"], { env: { ...getDefaultEnvironment() } });
    expect(stdout.trimEnd().split("\n").map((l) => l.split(/\s+/)[0])).toEqual(readTools);
  });

  it("the installed server initializes, lists its tools and answers calls over stdio", async () => {
    const home = mkdtempSync(join(work, "home-"));
    const transport = new StdioClientTransport({ command: bin, args: [], env: { ...getDefaultEnvironment(), HOME: home, ...clockEnv() }, stderr: "ignore" });
    const client = new Client({ name: "package-test", version: "0" });
    await client.connect(transport);
    try {
      expect(client.getServerVersion()).toMatchObject({ name: pkg.name, version: pkg.version });
      const { tools } = await client.listTools();
      // The write tools are listed only as disabled stubs without --allow-writes.
      expect(tools.filter((t) => t.annotations?.readOnlyHint).map((t) => t.name)).toEqual(readTools);
      // Through every layer the bundle inlines: the Viam SDK's gRPC-web client and the
      // embedded sandboxes (Viam and Latitude.sh).
      const overview = await client.callTool({ name: "billing_spend_overview", arguments: {} });
      expect(overview.isError, JSON.stringify(overview.content)).toBeFalsy();
      expect(overview.structuredContent).toMatchObject({ sandbox: true });
      const rows = (overview.structuredContent as { rows: { provider: string; error: string | null }[] }).rows;
      // (The sandbox's restricted org answers permission denied on purpose.)
      for (const provider of ["viam", "latitude"]) expect(rows.filter((r) => r.provider === provider && r.error === null).length, provider).toBeGreaterThan(0);
    } finally {
      await client.close();
    }
  });
});
