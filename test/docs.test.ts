// The documentation holds: README stays short (a user reaches client set-up quickly), every
// relative link in README and docs/ reaches a file and, with #, a heading in it, and the
// generated tool reference in docs/tools.md is what `npm run docs` makes from tools/list now.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { buildCatalog } from "../src/mcp/catalog.js";
import { renderToolReference, TOOL_REFERENCE_FILE, withReference } from "../scripts/tool-reference.js";

const root = resolve(import.meta.dirname, "..");
const documents = ["README.md", ...readdirSync(join(root, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];
const read = (file: string) => readFileSync(join(root, file), "utf8");
const withoutCode = (markdown: string) => markdown.replace(/```[\s\S]*?```/g, "").replace(/`[^`\n]*`/g, (code) => (code.includes("](") ? "" : code));

/** Heading anchors as GitHub makes them: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const [, heading] of markdown.replace(/```[\s\S]*?```/g, "").matchAll(/^#{1,6} (.+)$/gm)) {
    const slug = heading!.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/\s/g, "-");
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    out.add(n ? `${slug}-${n}` : slug);
  }
  return out;
}

describe("README", () => {
  it("is under 200 lines", () => {
    expect(read("README.md").split("\n").length).toBeLessThan(200);
  });

  it("links every document in docs/", () => {
    const linked = new Set([...withoutCode(read("README.md")).matchAll(/\]\((docs\/[^)#\s]+)/g)].map((m) => m[1]));
    expect(documents.filter((d) => d.startsWith("docs/") && !linked.has(d))).toEqual([]);
  });
});

describe("relative links", () => {
  for (const file of documents) {
    it(`${file}: every relative link resolves, to a heading where it names one`, () => {
      const broken: string[] = [];
      for (const [, target] of withoutCode(read(file)).matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/i.test(target!)) continue; // https:, mailto:
        const [path, anchor] = target!.split("#") as [string, string | undefined];
        const full = path === "" ? join(root, file) : resolve(root, dirname(file), path);
        if (!existsSync(full)) broken.push(`${target}: no such file`);
        else if (anchor !== undefined && full.endsWith(".md") && !anchors(readFileSync(full, "utf8")).has(anchor)) broken.push(`${target}: no such heading`);
      }
      expect(broken).toEqual([]);
    });
  }
});

describe(TOOL_REFERENCE_FILE, () => {
  it("holds the reference `npm run docs` generates from tools/list now", async () => {
    const committed = read(TOOL_REFERENCE_FILE);
    expect(committed, `stale: run npm run docs and commit ${TOOL_REFERENCE_FILE}`).toBe(withReference(committed, renderToolReference(await buildCatalog())));
  });
});
