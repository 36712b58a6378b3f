// npm run docs: regenerate the tool reference in docs/tools.md (run from the package root).
import { readFileSync, writeFileSync } from "node:fs";
import { buildCatalog } from "../src/mcp/catalog.js";
import { renderToolReference, TOOL_REFERENCE_FILE, withReference } from "./tool-reference.js";

const catalog = await buildCatalog();
writeFileSync(TOOL_REFERENCE_FILE, withReference(readFileSync(TOOL_REFERENCE_FILE, "utf8"), renderToolReference(catalog)));
process.stderr.write(`wrote ${TOOL_REFERENCE_FILE}: ${catalog.tools.length} tools\n`);
