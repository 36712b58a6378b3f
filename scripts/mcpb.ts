// npm run mcpb: the MCP Bundle (billing-mcp.mcpb) that Claude Desktop installs with a double
// click. Stages mcpb/manifest.json (its version and tool list filled in from package.json and
// tools/index.ts, so neither can drift), the bundle npm ships (dist/src/cli.js and its chunks,
// which carry every dependency) and a package.json (ESM, and the version --version reads),
// then packs the folder with @anthropic-ai/mcpb, which validates the manifest first.
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { packExtension } from "@anthropic-ai/mcpb";
import { allTools } from "../tools/index.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
// The output path may be given (test/mcpb.test.ts writes to a temporary folder).
const output = resolve(process.argv[2] ?? `${root}billing-mcp.mcpb`);
const stage = `${await mkdtemp(join(tmpdir(), "billing-mcp-mcpb-"))}/`;

const pkg = JSON.parse(await readFile(`${root}package.json`, "utf8")) as { name: string; version: string; type: string; license: string };
const manifest = JSON.parse(await readFile(`${root}mcpb/manifest.json`, "utf8")) as Record<string, unknown>;
delete manifest.$schema; // a path into node_modules: true in the repository only

await mkdir(`${stage}dist/src`, { recursive: true });
await cp(`${root}dist/src/cli.js`, `${stage}dist/src/cli.js`);
await cp(`${root}dist/src/chunks`, `${stage}dist/src/chunks`, { recursive: true });
// The spend app's page (src/mcp/spend-app.ts): Claude desktop renders MCP Apps.
await cp(`${root}dist/src/app`, `${stage}dist/src/app`, { recursive: true });
await writeFile(`${stage}package.json`, `${JSON.stringify({ name: pkg.name, version: pkg.version, type: pkg.type, license: pkg.license }, null, 2)}\n`);
await writeFile(
  `${stage}manifest.json`,
  `${JSON.stringify({ ...manifest, version: pkg.version, tools: allTools.map((t) => ({ name: t.name, description: t.title })) }, null, 2)}\n`,
);

const ok = await packExtension({ extensionPath: stage, outputPath: output });
await rm(stage, { recursive: true, force: true });
if (!ok) {
  process.stderr.write("mcpb: packing failed (see above)\n");
  process.exit(1);
}
