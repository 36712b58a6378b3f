// Second build step, after tsc: bundles the server into dist/src/cli.js with esbuild. The
// bundle inlines every runtime dependency, so they are devDependencies and the package ships
// only dist/src/cli.js and its chunks (package.json "files"; test/package.test.ts checks both).
// Code-splitting keeps what only some commands need (the in-process client of `call` and
// `tools`, @viamrobotics/sdk, the sandbox) in chunks that load only when first needed.
import { rm, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { buildSpendApp } from "./build-app.js";
import { nodeBundleOptions } from "./bundle-options.js";

const root = fileURLToPath(new URL("../../", import.meta.url));

await rm(`${root}dist/src/chunks`, { recursive: true, force: true });
await rm(`${root}dist/src/listing.json`, { force: true });
const result = await build({
  absWorkingDir: root,
  entryPoints: [{ in: "src/cli.ts", out: "src/cli" }],
  outdir: "dist",
  chunkNames: "src/chunks/[name]-[hash]",
  ...nodeBundleOptions,
  splitting: true,
  metafile: true,
});

// What each chunk holds and imports, for looking into start-up cost (docs/performance.md).
if (process.env.BILLING_MCP_METAFILE) await writeFile(process.env.BILLING_MCP_METAFILE, JSON.stringify(result.metafile));
const outputs = Object.entries(result.metafile.outputs).filter(([file]) => file.endsWith(".js"));
const kib = (n: number) => `${(n / 1024).toFixed(0)} KiB`;
process.stderr.write(`bundled ${outputs.length} files: ${outputs.map(([f, o]) => `${f.replace(/^dist\//, "")} ${kib(o.bytes)}`).join(", ")}\n`);

const app = await buildSpendApp();
process.stderr.write(`built the spend app: ${app.file.slice(root.length)} ${kib(app.bytes)}\n`);
