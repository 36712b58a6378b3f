// The version comes from package.json, the single source of truth, read at run time. The
// file sits two levels up from dist/src/ when built and one level up from src/ under
// vitest, so walk up to the first package.json that names this package; its folder is
// also where built assets (the app's HTML) are found.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

function readPackage(): { root: string; version: string } {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const file = join(dir, "package.json");
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, "utf8")) as { name?: unknown; version?: unknown };
      if (pkg.name === "billing-mcp" && typeof pkg.version === "string") return { root: dir, version: pkg.version };
    }
    if (dirname(dir) === dir) throw new Error("billing-mcp: package.json not found above the installed files");
  }
}

const pkg = readPackage();
export const PACKAGE_VERSION = pkg.version;
/** The installed package's folder (the one holding package.json and dist/). */
export const PACKAGE_ROOT = pkg.root;
