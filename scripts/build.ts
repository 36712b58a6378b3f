// Second build step, after tsc: bundles the server into dist/src/cli.js with esbuild. The
// bundle inlines every runtime dependency, so they are devDependencies and the package ships
// only dist/src/cli.js and its chunks (package.json "files"; test/package.test.ts checks both).
// Code-splitting keeps what only some commands need (the in-process client of `call` and
// `tools`, @viamrobotics/sdk, the sandbox) in chunks that load only when first needed.
import { rm, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import type { Plugin } from "esbuild";
import { buildSpendApp } from "./build-app.js";

const root = fileURLToPath(new URL("../../", import.meta.url));

await rm(`${root}dist/src/chunks`, { recursive: true, force: true });
await rm(`${root}dist/src/listing.json`, { force: true });
/**
 * connect-node imports undici (369 KiB bundled) only for a Headers polyfill it installs on
 * Node < 18; this package needs Node >= 20 (package.json engines), so that module is empty here.
 * Bundled, the import alone loaded and evaluated all of undici at every start.
 */
const withoutNodeHeadersPolyfill: Plugin = {
  name: "without-node-headers-polyfill",
  setup(b) {
    b.onLoad({ filter: /@connectrpc[\\/]connect-node[\\/].*node-headers-polyfill\.js$/ }, () => ({ contents: "", loader: "js" }));
  },
};

/**
 * zod's namespace `z` re-exports all of its ~50 locales (264 KiB of the bundle), so none can be
 * tree-shaken; the server's messages are English, zod's default (zod/v4/classic sets en itself).
 * Here the locales module offers en only.
 */
const zodEnglishOnly: Plugin = {
  name: "zod-english-only",
  setup(b) {
    b.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, () => ({ contents: 'export { default as en } from "./en.js";', loader: "js" }));
  },
};

const result = await build({
  absWorkingDir: root,
  entryPoints: [{ in: "src/cli.ts", out: "src/cli" }],
  outdir: "dist",
  chunkNames: "src/chunks/[name]-[hash]",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  minify: true,
  metafile: true,
  logLevel: "warning",
  plugins: [withoutNodeHeadersPolyfill, zodEnglishOnly],
  // Bundled CommonJS dependencies may call require() for Node built-ins.
  banner: { js: 'import{createRequire as __billingMcpRequire}from"node:module";const require=__billingMcpRequire(import.meta.url);' },
});

// What each chunk holds and imports, for looking into start-up cost (docs/performance.md).
if (process.env.BILLING_MCP_METAFILE) await writeFile(process.env.BILLING_MCP_METAFILE, JSON.stringify(result.metafile));
const outputs = Object.entries(result.metafile.outputs).filter(([file]) => file.endsWith(".js"));
const kib = (n: number) => `${(n / 1024).toFixed(0)} KiB`;
process.stderr.write(`bundled ${outputs.length} files: ${outputs.map(([f, o]) => `${f.replace(/^dist\//, "")} ${kib(o.bytes)}`).join(", ")}\n`);

const app = await buildSpendApp();
process.stderr.write(`built the spend app: ${app.file.slice(root.length)} ${kib(app.bytes)}\n`);
