// Which tools a server (or a one-shot CLI call) lists and serves: --tools / BILLING_MCP_TOOLS,
// limited by the write flag. A bad selection is a usage error, never silently ignored.
import type { ToolDefinition } from "./tool-definition.js";
import { writesDisabled } from "../core/config.js";

export class UsageError extends Error {
  override name = "UsageError";
}

export interface SelectionOptions {
  /** Comma-separated names, or the words `all` and `read-only`; undefined means `all`. */
  spec: string | undefined;
  allowWrites: boolean;
  /** Where the spec came from, to name it in errors: "--tools" (default) or "BILLING_MCP_TOOLS". */
  source?: string;
}

/** What selection needs of a tool: a tool definition, or its entry in the built listing (src/listing.ts). */
export type Selectable = Pick<ToolDefinition, "name" | "access">;

export function selectTools<T extends Selectable>(all: readonly T[], { spec, allowWrites, source = "--tools" }: SelectionOptions): T[] {
  const allowed = (tool: T) => tool.access === "read" || allowWrites;
  const entries = (spec ?? "all").split(",").map((s) => s.trim()).filter(Boolean);
  if (entries.length === 0) throw new UsageError(`${source} is empty: name tools, or use all or read-only.`);
  const chosen = new Set<T>();
  for (const entry of entries) {
    if (entry === "all") all.filter(allowed).forEach((t) => chosen.add(t));
    else if (entry === "read-only") all.filter((t) => t.access === "read").forEach((t) => chosen.add(t));
    else {
      const tool = all.find((t) => t.name === entry);
      if (!tool) throw new UsageError(`${source}: "${entry}" is not a tool. Valid: all, read-only, ${all.map((t) => t.name).join(", ")}.`);
      if (!allowed(tool)) {
        throw new UsageError(`${source}: ${writesDisabled(entry)}.`);
      }
      chosen.add(tool);
    }
  }
  // Keep the catalogue's order, whatever order the selection named them in.
  return all.filter((t) => chosen.has(t));
}
