// The same McpServer instances as `billing-mcp serve`, served by the SDK's serveStdio on its own
// StdioServerTransport over process.stdin/stdout, with nothing of ours between them: no input
// stream, no answer counter, no shutdown drain. test/front-equivalence.test.ts feeds it and the
// real server the same lines and compares the answers.
import { serveStdio } from "@modelcontextprotocol/server/stdio";
import { loadConfig } from "../src/core/config.js";
import { stderrLogger } from "../src/core/logger.js";
import { createBillingServer } from "../src/mcp/server.js";

const billing = createBillingServer({ config: loadConfig(), logger: stderrLogger() });
serveStdio(() => billing.createServer());
process.stdin.on("end", () => void billing.close().then(() => process.exit(0)));
