// What a tool file declares. The access class is declared once; the annotations,
// the listing and the write gate all follow from it (see src/mcp/server.ts).
import type { z } from "zod";
import type { ContentBlock } from "@modelcontextprotocol/server";
import type { Config } from "../core/config.js";
import type { LatitudeClient } from "../latitude/client.js";
import type { Logger } from "../core/logger.js";
import type { OrgDirectory, Organization } from "../viam/org-directory.js";
import type { CallOptions, ViamConnection } from "../viam/connection.js";

export type Provider = "viam" | "latitude" | "all";

export interface ToolContext {
  config: Config;
  viam: ViamConnection;
  latitude: LatitudeClient;
  logger: Logger;
  /** Aborted when the client cancels the request. */
  signal: AbortSignal;
  /** The call's deadline: its `timeout` argument or the default. */
  timeoutMs: number;
  /**
   * The given org id, else VIAM_ORG_ID, else the embedded sandbox's default, else the key's
   * only organization; otherwise a tool error listing the orgs and saying how to choose.
   */
  orgId(given: string | undefined): Promise<string>;
  /** The org's name from the directory (listed once per process), or null when unknown. Never rejects. */
  orgName(id: string): Promise<string | null>;
  /** The organizations the API key can see (listed once per process); a tool error when they cannot be listed. */
  organizations(): Promise<Organization[]>;
  /** The org directory itself (the default org and where it comes from). */
  orgs: OrgDirectory;
  /**
   * Options for one Viam RPC about `what` (e.g. `usage of org "x"`): this call's deadline and
   * signal, and retries only for read tools (a write is never repeated automatically).
   */
  rpc(what: string): CallOptions;
  /** The given Latitude.sh project, else LATITUDESH_PROJECT, else a tool error saying what to pass. */
  latitudeProject(given: string | undefined): string;
  /**
   * Tells the client how far a long call has got (`done` of `total` units, e.g. bytes); a
   * no-op unless it asked (progressToken). Never rejects. Await the last one: a notification
   * sent after the result is dropped by the client.
   */
  progress(done: number, total?: number, message?: string): Promise<void>;
}

export interface ToolResult<Out> {
  structured: Out;
  /** Compact text for the model; the sandbox notice is added by the server. */
  text: string;
  /** Extra content blocks (e.g. a resource_link). */
  content?: ContentBlock[];
  /**
   * Whether the answer holds sandbox data, for tools whose answer depends on which providers
   * they actually queried (provider "all"); otherwise the server derives it from the provider.
   */
  sandbox?: boolean;
}

interface ToolBase<In extends z.ZodRawShape, Out extends z.ZodRawShape> {
  name: string;
  title: string;
  description: string;
  provider: Provider;
  annotations: { destructiveHint: boolean; idempotentHint: boolean; openWorldHint: boolean };
  input: In;
  /** What `run` returns (for a write tool: once performed). */
  output: Out;
  /**
   * The MCP App (a `ui://` resource, src/mcp/spend-app.ts) that hosts with Apps support render
   * from this tool's structuredContent; served as `_meta.ui`. Hosts without Apps ignore it.
   */
  app?: { resourceUri: string };
  run(args: z.infer<z.ZodObject<In>>, ctx: ToolContext): Promise<ToolResult<z.infer<z.ZodObject<Out>>>>;
}

/** Served always; changes nothing. */
export interface ReadToolDefinition<In extends z.ZodRawShape = z.ZodRawShape, Out extends z.ZodRawShape = z.ZodRawShape>
  extends ToolBase<In, Out> {
  access: "read";
}

/**
 * Served only with writes enabled, and only through the confirmation gate
 * (src/writes/confirmation-gate.ts): `preview` says what would happen, `run` does it.
 */
export interface WriteToolDefinition<In extends z.ZodRawShape = z.ZodRawShape, Out extends z.ZodRawShape = z.ZodRawShape>
  extends ToolBase<In, Out> {
  access: "write";
  /** From the arguments alone, without calling Viam: shown to the human before anything happens. */
  preview(args: z.infer<z.ZodObject<In>>): WritePreview;
  /**
   * Read-only look-ups shown with the preview (who is charged and how they pay, the current
   * state): one line each. A ToolError refuses the preview, so no token is issued.
   */
  lookUp?(args: z.infer<z.ZodObject<In>>, ctx: ToolContext): Promise<string[]>;
}

export interface WritePreview {
  /** One sentence with the figures: what would happen. */
  summary: string;
  /** The figures as they would be sent (money in USD), and whether an email goes out. */
  details: Record<string, string | number | boolean | null>;
  /** USD that would be charged; checked against BILLING_MCP_MAX_CHARGE. */
  chargeUsd?: number;
  /** The organization charged, with chargeUsd: the duplicate rule and the daily cap count per organization. */
  chargeTo?: string;
}

export type ToolDefinition<In extends z.ZodRawShape = z.ZodRawShape, Out extends z.ZodRawShape = z.ZodRawShape> =
  | ReadToolDefinition<In, Out>
  | WriteToolDefinition<In, Out>;

export function defineTool<In extends z.ZodRawShape, Out extends z.ZodRawShape>(definition: ReadToolDefinition<In, Out>): ReadToolDefinition<In, Out> {
  return definition;
}

export function defineWriteTool<In extends z.ZodRawShape, Out extends z.ZodRawShape>(
  definition: WriteToolDefinition<In, Out>,
): WriteToolDefinition<In, Out> {
  return definition;
}

/** Read tools share one set of hints: they change nothing and may be repeated. */
export const READ_ONLY = { destructiveHint: false, idempotentHint: true, openWorldHint: true } as const;
