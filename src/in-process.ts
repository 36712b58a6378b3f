// An MCP Client wired to a BillingServer in the same process through InMemoryTransport.
// The CLI's `call` and `tools` and the tool catalogue use it, so validation, gating and
// rendering are exactly what an MCP client over stdio gets.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import type { BillingServer } from "./server.js";
import { PACKAGE_VERSION } from "./version.js";

export interface InProcessSession {
  client: Client;
  close(): Promise<void>;
}

export async function connectInProcess(billing: BillingServer): Promise<InProcessSession> {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await billing.server.connect(serverSide);
  const client = new Client({ name: "billing-mcp-cli", version: PACKAGE_VERSION });
  await client.connect(clientSide);
  return {
    client,
    async close() {
      await client.close().catch(() => undefined);
      await billing.server.close().catch(() => undefined);
      await billing.close();
    },
  };
}
