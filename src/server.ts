// Server bootstrap: one McpServer, the selected tools registered with annotations derived
// from their access class, and every call wrapped in the same context and error handling.
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { allTools } from "../tools/index.js";
import type { Config } from "./config.js";
import { redact, ToolError } from "./errors.js";
import { timeoutField } from "./fields.js";
import { instructions, SERVER_NAME, SERVER_VERSION } from "./server-info.js";
import type { Logger } from "./logger.js";
import { SANDBOX_NOTICE } from "./render.js";
import type { ToolContext, ToolDefinition } from "./tool-definition.js";
import { ViamConnection } from "./viam-connection.js";

export { instructions, SERVER_NAME, SERVER_VERSION };

export interface BillingServerOptions {
  config: Config;
  logger: Logger;
  tools?: readonly ToolDefinition[];
  /**
   * Register output schemas (default true). The stdio server lists tools from the listing
   * built with them (src/listing.ts) and registers without, so the SDK does not re-validate
   * every answer against a schema the tests already hold it to.
   */
  outputSchemas?: boolean;
}

export interface BillingServer {
  server: McpServer;
  viam: ViamConnection;
  close(): Promise<void>;
}

const sandboxField = z.boolean().describe("True when this is the embedded sandbox's demo data, not real billing.");

/** Check, as the github MCP server does, that a tool's declared access and hints agree. */
function assertConsistent(tool: ToolDefinition): void {
  if (tool.access === "read" && tool.annotations.destructiveHint) throw new Error(`${tool.name}: a read tool cannot be destructive`);
}

export function createBillingServer({ config, logger, tools = allTools, outputSchemas = true }: BillingServerOptions): BillingServer {
  const server = new McpServer({ name: SERVER_NAME, version: SERVER_VERSION }, { instructions: instructions(config) });
  const viam = new ViamConnection(config, logger);

  for (const tool of tools) {
    assertConsistent(tool);
    server.registerTool(
      tool.name,
      {
        title: tool.title,
        description: tool.description,
        inputSchema: { ...tool.input, timeout: timeoutField },
        ...(outputSchemas ? { outputSchema: { ...tool.output, sandbox: sandboxField } } : {}),
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
  return { server, viam, close: () => viam.close() };
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
