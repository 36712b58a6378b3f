// An MCP Client wired to a BillingServer in the same process through InMemoryTransport.
// The CLI's `call` and `tools` and the tool catalogue use it, so validation, gating and
// rendering are exactly what an MCP client over stdio gets.
import { Client, InMemoryTransport } from "@modelcontextprotocol/client";
import type { BillingServer } from "./server.js";
import { PACKAGE_VERSION } from "../core/version.js";

export interface InProcessSession {
  client: Client;
  close(): Promise<void>;
}

export async function connectInProcess(billing: BillingServer): Promise<InProcessSession> {
  // Both halves from the same package: each package bundles its own copy of the transport.
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const server = billing.createServer();
  await server.connect(serverSide);
  const client = new Client({ name: "billing-mcp-cli", version: PACKAGE_VERSION });
  await client.connect(clientSide);
  return {
    client,
    async close() {
      await client.close().catch(() => undefined);
      await server.close().catch(() => undefined);
      await billing.close();
    },
  };
}
