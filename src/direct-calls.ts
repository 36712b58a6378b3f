// tools/call of a read tool answered without the MCP SDK's protocol layer, for the stdio
// server (src/backend.ts). Per call the SDK parses the message against three JSON-RPC
// schemas, parses CallToolRequest twice, then the arguments, then parses our answer against
// CallToolResult; on this 2-core machine that was about a fifth of a call's overhead over
// the RPC itself ([per-call] in `npm run bench`). Here a plain request runs the very handler
// the tool is registered with in McpServer, after the same argument parse; anything else
// (an unknown or disabled tool, a write, arguments the schema refuses, a task, nested
// arguments, unusual _meta) goes to the SDK as before, so every error reads as it did.
// Our answers are not re-validated: the tests hold every answer to the MCP schema (the SDK's
// Client checks CallToolResult) and to the tool's output schema.
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { RequestHandlerExtra } from "@modelcontextprotocol/sdk/shared/protocol.js";
import type { CallToolResult, JSONRPCMessage, RequestId, ServerNotification, ServerRequest } from "@modelcontextprotocol/sdk/types.js";
import type { z } from "zod";

export type ToolHandler = (args: Record<string, unknown>, extra: RequestHandlerExtra<ServerRequest, ServerNotification>) => Promise<CallToolResult>;

interface DirectTool {
  schema: z.ZodObject;
  handler: ToolHandler;
}

/** A tools/call with nothing the SDK would treat specially. */
interface PlainCall {
  id: RequestId;
  name: string;
  args: Record<string, unknown>;
  progressToken: string | number | undefined;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isPrimitive = (v: unknown) => v === null || (typeof v !== "object" && typeof v !== "function");

/** Our tools take a handful of flat arguments; larger or nested ones go through the SDK (and its element limit). */
const MAX_DIRECT_ARGUMENTS = 32;

function plainCall(message: JSONRPCMessage): PlainCall | undefined {
  const m = message as { method?: unknown; id?: unknown; params?: unknown };
  if (m.method !== "tools/call") return undefined;
  const { id, params } = m;
  if (!(typeof id === "string" || Number.isSafeInteger(id)) || !isRecord(params)) return undefined;
  const { name, arguments: args = {}, _meta, ...rest } = params;
  // `task` and any other field are the SDK's business.
  if (typeof name !== "string" || Object.keys(rest).length > 0 || !isRecord(args)) return undefined;
  const values = Object.values(args);
  if (values.length > MAX_DIRECT_ARGUMENTS || !values.every(isPrimitive)) return undefined;
  let progressToken: string | number | undefined;
  if (_meta !== undefined) {
    if (!isRecord(_meta)) return undefined;
    const { progressToken: token, ...otherMeta } = _meta;
    if (Object.keys(otherMeta).length > 0) return undefined;
    if (token !== undefined && typeof token !== "string" && !(typeof token === "number" && Number.isFinite(token))) return undefined;
    progressToken = token;
  }
  return { id: id as RequestId, name, args, progressToken };
}

export class DirectCalls {
  private readonly tools = new Map<string, DirectTool>();
  /** The calls running here, by request id, for notifications/cancelled. */
  private readonly running = new Map<RequestId, AbortController>();

  constructor(private readonly server: McpServer) {}

  /** Serve `name` here too; `schema` must be the one McpServer parses its arguments with. */
  add(name: string, schema: z.ZodObject, handler: ToolHandler): void {
    this.tools.set(name, { schema, handler });
  }

  /**
   * Answer `message` here if it is a plain tools/call of a tool added here: `reply` gets the
   * JSON-RPC response (none if the call was cancelled, as with the SDK). False: not taken.
   */
  tryCall(message: JSONRPCMessage, reply: (response: JSONRPCMessage) => void): boolean {
    const call = plainCall(message);
    const tool = call && this.tools.get(call.name);
    if (!call || !tool || this.running.has(call.id)) return false;
    let parsed: ReturnType<z.ZodObject["safeParse"]>;
    try {
      parsed = tool.schema.safeParse(call.args);
    } catch {
      // An asynchronous refinement: the SDK parses those.
      return false;
    }
    if (!parsed.success) return false;
    const { id } = call;
    const controller = new AbortController();
    this.running.set(id, controller);
    const extra: RequestHandlerExtra<ServerRequest, ServerNotification> = {
      signal: controller.signal,
      requestId: id,
      ...(call.progressToken !== undefined ? { _meta: { progressToken: call.progressToken } } : {}),
      sendNotification: async (notification) => {
        if (controller.signal.aborted) return;
        await this.server.server.notification(notification, { relatedRequestId: id });
      },
      sendRequest: (request, resultSchema, options) => this.server.server.request(request, resultSchema, { ...options, relatedRequestId: id }),
    };
    tool
      .handler(parsed.data as Record<string, unknown>, extra)
      .catch((err: unknown): CallToolResult => ({ content: [{ type: "text", text: err instanceof Error ? err.message : String(err) }], isError: true }))
      .then((result) => {
        this.running.delete(id);
        if (!controller.signal.aborted) reply({ result, jsonrpc: "2.0", id } as JSONRPCMessage);
      });
    return true;
  }

  /** notifications/cancelled: abort the call if it runs here (the SDK then finds nothing to cancel). */
  cancel(message: JSONRPCMessage): void {
    const m = message as { method?: unknown; params?: unknown };
    if (m.method !== "notifications/cancelled" || !isRecord(m.params)) return;
    const { requestId, reason } = m.params;
    if (typeof requestId === "string" || typeof requestId === "number") this.running.get(requestId)?.abort(reason);
  }

  /** The connection closed: as the SDK does, abort what runs so that nothing more is sent. */
  abortAll(): void {
    for (const controller of this.running.values()) controller.abort();
    this.running.clear();
  }
}
