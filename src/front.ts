// The stdio front of the server. It answers initialize, tools/list and ping itself from the
// build-time listing (src/listing.ts), so a client sees the tools without the server loading the MCP SDK, zod,
// the tools' code or @viamrobotics/sdk. Everything else goes to the backend (src/backend.ts:
// the MCP SDK's McpServer with the tools), loaded on the first message that needs it or just
// after tools/list is answered. The backend is first handed the client's initialize request
// again (its answer is dropped), so it knows the client's capabilities (e.g. elicitation).
import type { JSONRPCMessage, ServerCapabilities, Tool } from "@modelcontextprotocol/sdk/types.js";
import type { Listing } from "./listing.js";
import type { Logger } from "./logger.js";

export interface Backend {
  /** Hand a message from the client to the MCP server. */
  deliver(message: JSONRPCMessage): void;
  /** Tool calls being answered. */
  readonly inFlight: number;
  /** Let calls in flight finish, then close; false if some were abandoned at their deadline. */
  close(): Promise<boolean>;
}

/** Loads the backend; `send` writes a message to the client. */
export type BackendLoader = (send: (message: JSONRPCMessage) => void) => Promise<Backend>;

export interface FrontOptions {
  listing: Listing;
  /** The selected tools, in order, as tools/list shows them. */
  tools: Tool[];
  /** What the server declares it can do with those tools. */
  capabilities: ServerCapabilities;
  instructions: string;
  logger: Logger;
  loadBackend: BackendLoader;
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  /** Load the backend right after tools/list is answered (default true). */
  preload?: boolean;
}

/** The id under which the client's initialize request is replayed to the backend. */
export const REPLAY_ID = "billing-mcp:replayed-initialize";

type Message = JSONRPCMessage & { id?: string | number; method?: string; params?: unknown };
type RequestId = string | number;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

export class StdioFront {
  private buffer = "";
  private initialize: Message | undefined;
  private initialized: Message | undefined;
  private queue: Message[] = [];
  private backend: Backend | undefined;
  private loading: Promise<Backend | undefined> | undefined;
  private closed = false;
  /** Called once when the client closes stdin or the stream fails. */
  onclose?: () => void;

  constructor(private readonly options: FrontOptions) {}

  start(): void {
    const { input } = this.options;
    input.setEncoding("utf8");
    input.on("data", (chunk: string) => this.onData(chunk));
    input.on("end", () => this.close());
    input.on("error", (err: Error) => {
      this.options.logger.log("error", `stdin failed: ${err.message}`);
      this.close();
    });
  }

  get inFlight(): number {
    return this.backend?.inFlight ?? 0;
  }

  /** Close the backend, if it was loaded, once its calls in flight are answered. */
  async shutdown(): Promise<boolean> {
    const backend = this.backend ?? (await this.loading?.catch(() => undefined));
    return (await backend?.close()) ?? true;
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.onclose?.();
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    let newline: number;
    while ((newline = this.buffer.indexOf("\n")) >= 0) {
      const line = this.buffer.slice(0, newline).replace(/\r$/, "");
      this.buffer = this.buffer.slice(newline + 1);
      if (line.trim() === "") continue;
      let message: unknown;
      try {
        message = JSON.parse(line);
      } catch {
        this.options.logger.log("warning", "ignored a line on stdin that is not JSON");
        continue;
      }
      if (!isRecord(message) || message.jsonrpc !== "2.0") {
        this.options.logger.log("warning", "ignored a message on stdin that is not JSON-RPC 2.0");
        continue;
      }
      this.handle(message as Message);
    }
  }

  private handle(message: Message): void {
    const { method, id } = message;
    const isRequest = typeof method === "string" && (typeof id === "string" || typeof id === "number");
    if (isRequest && method === "initialize" && isRecord(message.params) && typeof message.params.protocolVersion === "string") {
      this.initialize = message;
      this.reply(id, this.initializeResult(message.params.protocolVersion));
      this.backend?.deliver({ ...message, id: REPLAY_ID } as JSONRPCMessage);
      return;
    }
    if (method === "notifications/initialized" && id === undefined) {
      this.initialized = message;
      if (this.backend || this.loading) this.forward(message);
      return;
    }
    if (isRequest && method === "tools/list") {
      this.reply(id, { tools: this.options.tools });
      if (this.options.preload !== false) setTimeout(() => void this.load(), 0);
      return;
    }
    if (isRequest && method === "ping") return this.reply(id, {});
    if (isRequest && method === "tools/call") {
      const refusal = this.argumentsRefusal(message.params);
      if (refusal) return this.reply(id, { content: [{ type: "text", text: refusal }], isError: true });
    }
    this.forward(message);
  }

  /**
   * Arguments that are not a JSON object would reach the SDK's request parse, which answers
   * with a JSON-RPC internal error carrying a zod issue dump; a model is better served by a
   * tool error that says what to send.
   */
  private argumentsRefusal(params: unknown): string | undefined {
    if (!isRecord(params) || params.arguments === undefined || isRecord(params.arguments)) return undefined;
    const tool = this.options.tools.find((t) => t.name === params.name);
    if (!tool) return undefined;
    const got = params.arguments === null ? "null" : Array.isArray(params.arguments) ? "an array" : `a ${typeof params.arguments}`;
    const fields = Object.keys((tool.inputSchema.properties ?? {}) as object);
    return `Invalid arguments for tool ${tool.name}: arguments must be a JSON object of the tool's fields (${fields.join(", ") || "none"}), not ${got}.`;
  }

  private initializeResult(requested: string) {
    const { listing, instructions, capabilities } = this.options;
    const protocolVersion = listing.supportedProtocolVersions.includes(requested) ? requested : listing.latestProtocolVersion;
    return { protocolVersion, capabilities, serverInfo: listing.serverInfo, ...(instructions ? { instructions } : {}) };
  }

  private forward(message: Message): void {
    if (this.backend) return this.backend.deliver(message);
    this.queue.push(message);
    void this.load();
  }

  private load(): Promise<Backend | undefined> {
    this.loading ??= this.options.loadBackend((m) => this.send(m)).then(
      (backend) => {
        if (this.initialize) backend.deliver({ ...this.initialize, id: REPLAY_ID } as JSONRPCMessage);
        const queued = this.queue.splice(0);
        // The initialized notification is replayed once, in its place: first if it came before
        // anything that is queued.
        if (this.initialized && !queued.includes(this.initialized)) backend.deliver(this.initialized);
        for (const m of queued) backend.deliver(m);
        this.backend = backend;
        return backend;
      },
      (err: unknown) => {
        const detail = err instanceof Error ? err.message : String(err);
        this.options.logger.log("error", `could not load the MCP server: ${detail}`);
        for (const m of this.queue.splice(0)) {
          if (typeof m.method === "string" && m.id !== undefined) this.error(m.id, -32603, `billing-mcp could not start its tools: ${detail}`);
        }
        this.loading = undefined;
        return undefined;
      },
    );
    return this.loading;
  }

  private reply(id: RequestId, result: object): void {
    this.send({ jsonrpc: "2.0", id, result } as JSONRPCMessage);
  }

  private error(id: RequestId, code: number, message: string): void {
    this.send({ jsonrpc: "2.0", id, error: { code, message } } as JSONRPCMessage);
  }

  /**
   * One write per message, as it comes: a client may handle a notification a turn after the
   * response that follows it (the SDK's Client does), so batching a progress notification with
   * its call's answer would lose it.
   */
  private send(message: JSONRPCMessage): void {
    if ((message as Message).id === REPLAY_ID && (message as Message).method === undefined) return;
    this.options.output.write(`${JSON.stringify(message)}\n`);
  }
}
