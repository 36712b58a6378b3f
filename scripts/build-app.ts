// Builds the spend app (app/) into one self-contained HTML page, dist/src/app/spend.html, that
// src/mcp/spend-app.ts serves: the script and styles inline, nothing fetched. The page is a build
// output (made by `npm run build`, not committed).
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import type { Plugin } from "esbuild";
import { SPEND_APP_FILE } from "../src/mcp/spend-app.js";

const root = fileURLToPath(new URL("../../", import.meta.url));

/**
 * Size, not behaviour: ext-apps' App pulls in zod 4, whose namespace object carries every
 * locale's error messages (about 260 KB); the page only ever uses the English ones, which
 * zod installs itself. And the MCP SDK packages the App uses are free of side effects at
 * import, which lets esbuild drop what the App never calls (about 70 KB).
 */
const slim: Plugin = {
  name: "slim",
  setup(b) {
    b.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(join(dirname(args.path), "en.js"))};`,
      loader: "js",
    }));
    const sdk = /[\\/]node_modules[\\/]@modelcontextprotocol[\\/](client|core)[\\/]/;
    b.onResolve({ filter: /.*/ }, async (args) => {
      if (args.pluginData || !(args.path.startsWith("@modelcontextprotocol/") || sdk.test(args.importer))) return undefined;
      const resolved = await b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: true });
      if (resolved.errors.length) return { errors: resolved.errors };
      return { path: resolved.path, sideEffects: sdk.test(resolved.path) ? false : resolved.sideEffects };
    });
  },
};

export async function buildSpendApp(): Promise<{ file: string; bytes: number }> {
  const bundle = await build({
    absWorkingDir: root,
    entryPoints: ["app/main.ts"],
    bundle: true,
    write: false,
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify: true,
    legalComments: "none",
    plugins: [slim],
    logLevel: "warning",
  });
  const script = bundle.outputFiles[0]!.text;
  const css = (await build({ absWorkingDir: root, entryPoints: ["app/spend.css"], bundle: true, write: false, minify: true, logLevel: "warning" })).outputFiles[0]!.text;
  const template = await readFile(join(root, "app/spend.html"), "utf8");
  // A "</script" inside the bundle would end the inline script early.
  const safeScript = script.replace(/<\/(script)/gi, "<\\/$1");
  const html = template.replace("/*STYLE*/", () => css.trim()).replace("/*SCRIPT*/", () => safeScript.trim());
  const file = join(root, SPEND_APP_FILE);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, html);
  return { file, bytes: Buffer.byteLength(html) };
}
