// Server bootstrap: one McpServer, the selected tools registered with annotations derived
// from their access class, and every call wrapped in the same context and error handling.
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { RequestHandlerExtra } from "@modelcontextprotocol/sdk/shared/protocol.js";
import type { CallToolResult, ServerNotification, ServerRequest } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { allTools } from "../tools/index.js";
import type { Config } from "./config.js";
import { redact, ToolError } from "./errors.js";
import { timeoutField } from "./fields.js";
import { mcpLogSink, withSinks } from "./logger.js";
import type { Logger } from "./logger.js";
import { registerPrompts } from "./prompts.js";
import { SANDBOX_NOTICE } from "./render.js";
import type { ToolContext, ToolDefinition } from "./tool-definition.js";
import { PACKAGE_VERSION } from "./version.js";
import { ViamConnection } from "./viam-connection.js";

export const SERVER_NAME = "billing-mcp";
export const SERVER_VERSION = PACKAGE_VERSION;

export interface BillingServerOptions {
  config: Config;
  logger: Logger;
  tools?: readonly ToolDefinition[];
}

export interface BillingServer {
  server: McpServer;
  viam: ViamConnection;
  close(): Promise<void>;
}

const sandboxField = z.boolean().describe("True when this is the embedded sandbox's demo data, not real billing.");

export function instructions(config: Config): string {
  const lines = [
    "Billing tools for Viam (usage, invoices, payment method, tiers) over the Viam API. Money is USD; dates are ISO.",
    "Read tools are safe to call freely. Use viam_get_invoices_summary to find invoice ids.",
  ];
  if (!config.defaultOrgId) lines.push("No default organization is set: pass org_id.");
  else lines.push(`Default organization: ${config.defaultOrgId} (used when org_id is omitted).`);
  if (config.viam.kind === "sandbox") {
    lines.push("SANDBOX MODE: no Viam credentials are configured, so every answer is demo data from the embedded sandbox, not real billing. Say so when you report figures. Sandbox orgs: org-acme, org-fieldworks, org-orbital, org-fleet, org-empty.");
  }
  return lines.join("\n");
}

/** Check, as the github MCP server does, that a tool's declared access and hints agree. */
function assertConsistent(tool: ToolDefinition): void {
  if (tool.access === "read" && tool.annotations.destructiveHint) throw new Error(`${tool.name}: a read tool cannot be destructive`);
}

export function createBillingServer({ config, logger: stderr, tools = allTools }: BillingServerOptions): BillingServer {
  const server = new McpServer({ name: SERVER_NAME, version: SERVER_VERSION }, { instructions: instructions(config), capabilities: { logging: {} } });
  const logger = withSinks(stderr, mcpLogSink(server.server));
  const viam = new ViamConnection(config, logger);

  for (const tool of tools) {
    assertConsistent(tool);
    server.registerTool(
      tool.name,
      {
        title: tool.title,
        description: tool.description,
        inputSchema: { ...tool.input, timeout: timeoutField },
        outputSchema: { ...tool.output, sandbox: sandboxField },
        annotations: { title: tool.title, readOnlyHint: tool.access === "read", ...tool.annotations },
      },
      async (args: Record<string, unknown>, extra): Promise<CallToolResult> => {
        const timeout = typeof args.timeout === "number" ? args.timeout : undefined;
        const context: ToolContext = {
          config,
          viam,
          logger,
          signal: extra.signal,
          timeoutMs: timeout ? timeout * 1000 : config.defaultTimeoutMs,
          progress: progressReporter(extra, logger),
          orgId(given) {
            const orgId = given ?? config.defaultOrgId;
            if (!orgId) throw new ToolError("org_id is required: pass org_id, or set VIAM_ORG_ID for a default organization.");
            return orgId;
          },
        };
        try {
          const result = await tool.run(args as never, context);
          const sandbox = isSandbox(tool, config);
          return {
            structuredContent: { ...result.structured, sandbox },
            content: [{ type: "text", text: sandbox ? `${SANDBOX_NOTICE}\n${result.text}` : result.text }, ...(result.content ?? [])],
          };
        } catch (err) {
          return { isError: true, content: [{ type: "text", text: errorMessage(tool, err, logger) }] };
        }
      },
    );
  }
  registerPrompts(server, config, new Set(tools.map((t) => t.name)));
  return { server, viam, close: () => viam.close() };
}

/** notifications/progress for the request, if its client sent a progressToken; else a no-op. */
function progressReporter(extra: RequestHandlerExtra<ServerRequest, ServerNotification>, logger: Logger): ToolContext["progress"] {
  const progressToken = extra._meta?.progressToken;
  if (progressToken === undefined) return async () => undefined;
  let last = { done: -1, total: undefined as number | undefined };
  return async (done, total, message) => {
    // The spec wants progress to increase; drop repeats rather than send them.
    if (done < last.done || (done === last.done && total === last.total)) return;
    last = { done, total };
    const params = { progressToken, progress: done, ...(total !== undefined && { total }), ...(message !== undefined && { message }) };
    await extra.sendNotification({ method: "notifications/progress", params }).catch((err: unknown) => {
      logger.log("debug", `progress notification not sent: ${err instanceof Error ? err.message : String(err)}`);
    });
  };
}

function isSandbox(tool: ToolDefinition, config: Config): boolean {
  return (tool.provider === "viam" || tool.provider === "all") && config.viam.kind === "sandbox";
}

function errorMessage(tool: ToolDefinition, err: unknown, logger: Logger): string {
  if (err instanceof ToolError) return redact(err.message);
  // Unexpected: log the detail to stderr, give the model a short, safe message.
  const detail = err instanceof Error ? err.message : String(err);
  logger.log("error", `${tool.name} failed unexpectedly: ${detail}`);
  return redact(`${tool.name} failed: ${detail.split("\n")[0]}. This is a bug in billing-mcp if it persists.`);
}
