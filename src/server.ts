// Server bootstrap: one McpServer, the selected tools registered with annotations derived
// from their access class, and every call wrapped in the same context and error handling.
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { allTools } from "../tools/index.js";
import type { Config } from "./config.js";
import { redact, ToolError } from "./errors.js";
import { timeoutField } from "./fields.js";
import { LatitudeClient } from "./latitude-client.js";
import type { Logger } from "./logger.js";
import { SANDBOX_NOTICE } from "./render.js";
import { LATITUDE_SANDBOX_PROJECTS } from "./sandbox/latitude-data.js";
import type { ToolContext, ToolDefinition } from "./tool-definition.js";
import { ViamConnection } from "./viam-connection.js";

export const SERVER_NAME = "billing-mcp";
export const SERVER_VERSION = "0.1.0";

export interface BillingServerOptions {
  config: Config;
  logger: Logger;
  tools?: readonly ToolDefinition[];
}

export interface BillingServer {
  server: McpServer;
  viam: ViamConnection;
  latitude: LatitudeClient;
  close(): Promise<void>;
}

const sandboxField = z.boolean().describe("True when this is the embedded sandbox's demo data, not real billing.");

export function instructions(config: Config): string {
  const lines = [
    "Billing tools for Viam (usage, invoices, payment method, tiers) and Latitude.sh (billing usage per project). Money is USD; dates are ISO.",
    "Read tools are safe to call freely. Use viam_get_invoices_summary to find invoice ids; billing_spend_overview answers 'what are we spending, everywhere, this month?' in one call.",
  ];
  if (!config.defaultOrgId) lines.push("No default organization is set: pass org_id.");
  else lines.push(`Default organization: ${config.defaultOrgId} (used when org_id is omitted).`);
  if (config.viam.kind === "sandbox") {
    lines.push("SANDBOX MODE: no Viam credentials are configured, so every answer is demo data from the embedded sandbox, not real billing. Say so when you report figures. Sandbox orgs: org-acme, org-fieldworks, org-orbital, org-fleet, org-empty.");
  }
  if (config.defaultLatitudeProject) lines.push(`Default Latitude.sh project: ${config.defaultLatitudeProject} (used when project is omitted).`);
  if (config.latitude.kind === "sandbox") {
    lines.push(`LATITUDE SANDBOX: no LATITUDESH_BEARER is configured, so Latitude.sh answers are demo data. Sandbox projects: ${LATITUDE_SANDBOX_PROJECTS.map((p) => `${p.id} (slug ${p.slug})`).join(", ")}.`);
  }
  return lines.join("\n");
}

/** Check, as the github MCP server does, that a tool's declared access and hints agree. */
function assertConsistent(tool: ToolDefinition): void {
  if (tool.access === "read" && tool.annotations.destructiveHint) throw new Error(`${tool.name}: a read tool cannot be destructive`);
}

export function createBillingServer({ config, logger, tools = allTools }: BillingServerOptions): BillingServer {
  const server = new McpServer({ name: SERVER_NAME, version: SERVER_VERSION }, { instructions: instructions(config) });
  const viam = new ViamConnection(config, logger);
  const latitude = new LatitudeClient(config, logger);

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
          latitude,
          logger,
          signal: extra.signal,
          timeoutMs: timeout ? timeout * 1000 : config.defaultTimeoutMs,
          orgId(given) {
            const orgId = given ?? config.defaultOrgId;
            if (!orgId) throw new ToolError("org_id is required: pass org_id, or set VIAM_ORG_ID for a default organization.");
            return orgId;
          },
          latitudeProject(given) {
            const project = given ?? config.defaultLatitudeProject;
            if (!project) throw new ToolError("project is required: pass project (a Latitude.sh project id or slug), or set LATITUDESH_PROJECT for a default.");
            return project;
          },
        };
        try {
          const result = await tool.run(args as never, context);
          const sandbox = result.sandbox ?? isSandbox(tool, config);
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
  return {
    server,
    viam,
    latitude,
    close: async () => {
      await Promise.all([viam.close(), latitude.close()]);
    },
  };
}

function isSandbox(tool: ToolDefinition, config: Config): boolean {
  const viam = config.viam.kind === "sandbox";
  const latitude = config.latitude.kind === "sandbox";
  return tool.provider === "viam" ? viam : tool.provider === "latitude" ? latitude : viam || latitude;
}

function errorMessage(tool: ToolDefinition, err: unknown, logger: Logger): string {
  if (err instanceof ToolError) return redact(err.message);
  // Unexpected: log the detail to stderr, give the model a short, safe message.
  const detail = err instanceof Error ? err.message : String(err);
  logger.log("error", `${tool.name} failed unexpectedly: ${detail}`);
  return redact(`${tool.name} failed: ${detail.split("\n")[0]}. This is a bug in billing-mcp if it persists.`);
}
