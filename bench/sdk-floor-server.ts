// The MCP SDK alone, for the bench's floor lines: one McpServer with one tool that echoes its
// argument, served by the SDK's serveStdio, bundled the way dist/src/cli.js is. What any v2 SDK
// server costs before it does anything of its own: the start-up and memory figures of
// billing-mcp are shown beside it.
import { McpServer } from "@modelcontextprotocol/server";
import { serveStdio } from "@modelcontextprotocol/server/stdio";
import { z } from "zod";

serveStdio(() => {
  const server = new McpServer({ name: "sdk-floor", version: "1.0.0" });
  server.registerTool(
    "echo",
    { description: "Returns its text.", inputSchema: z.object({ text: z.string().describe("What to return.") }), outputSchema: z.object({ text: z.string().describe("The text given.") }) },
    async ({ text }) => ({ content: [{ type: "text", text }], structuredContent: { text } }),
  );
  return server;
});
