// npm run catalog: regenerate tools/catalog.json (run from the package root).
import { writeFileSync } from "node:fs";
import { buildCatalog, CATALOG_FILE, renderCatalog } from "../src/mcp/catalog.js";

const catalog = await buildCatalog();
writeFileSync(CATALOG_FILE, renderCatalog(catalog));
process.stderr.write(`wrote ${CATALOG_FILE}: ${catalog.tools.length} tools\n`);
