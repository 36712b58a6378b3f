// How Node code is bundled here: by scripts/build.ts for the server, and by the bench for its
// SDK floor (bench/sdk-floor-server.ts), which must be bundled exactly as the server is for its
// start-up and memory figures to be a floor.
import type { BuildOptions, Plugin } from "esbuild";

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

export const nodeBundleOptions = {
  bundle: true,
  format: "esm",
  platform: "node",
  target: "node20",
  minify: true,
  logLevel: "warning",
  plugins: [withoutNodeHeadersPolyfill, zodEnglishOnly],
  // Bundled CommonJS dependencies may call require() for Node built-ins.
  banner: { js: 'import{createRequire as __billingMcpRequire}from"node:module";const require=__billingMcpRequire(import.meta.url);' },
} satisfies BuildOptions;
