// The MCP server proper (McpServer with the selected tools), behind the stdio front
// (src/front.ts). Loaded lazily: importing this module is what loads the MCP SDK and zod.
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { allTools } from "../tools/index.js";
import type { Config } from "./config.js";
import type { Backend } from "./front.js";
import type { Logger } from "./logger.js";
import { createBillingServer } from "./server.js";
import { selectTools } from "./tool-selection.js";

export interface BackendOptions {
  config: Config;
  logger: Logger;
  toolSpec: string | undefined;
  toolSource: string;
  allowWrites: boolean;
}

/** A transport whose other end is the front: messages in by `deliver`, out by `send`. */
class FrontTransport implements Transport {
  onmessage?: Transport["onmessage"];
  onclose?: () => void;
  onerror?: (error: Error) => void;

  constructor(private readonly out: (message: JSONRPCMessage) => void) {}

  async start(): Promise<void> {}

  async send(message: JSONRPCMessage): Promise<void> {
    this.out(message);
  }

  async close(): Promise<void> {
    this.onclose?.();
  }
}

export async function startBackend(options: BackendOptions, send: (message: JSONRPCMessage) => void): Promise<Backend> {
  const tools = selectTools(allTools, { spec: options.toolSpec, allowWrites: options.allowWrites, source: options.toolSource });
  // The front lists the tools (with output schemas) from dist/src/listing.json; see createBillingServer.
  const billing = createBillingServer({ config: options.config, logger: options.logger, tools, allowWrites: options.allowWrites, outputSchemas: false });
  const transport = new FrontTransport(send);
  await billing.server.connect(transport);
  return {
    deliver: (message) => transport.onmessage?.(message),
    get inFlight() {
      return billing.inFlight;
    },
    async close() {
      // Calls in flight finish (within their deadlines) and are answered before the server closes.
      const finished = await billing.drain();
      await billing.server.close().catch(() => undefined);
      await billing.close();
      return finished;
    },
  };
}
