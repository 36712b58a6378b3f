// The MCP log sink (see src/core/logger.ts): logs to the client as notifications/message.
import type { LoggingLevel, Server } from "@modelcontextprotocol/server";
import { redact } from "../core/errors.js";
import type { LogSink } from "../core/logger.js";

// MCP's syslog levels, least to most severe; ours are a subset with the same names.
const LEVELS: readonly LoggingLevel[] = ["debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"];
const MCP_SEVERITY = new Map<LoggingLevel, number>(LEVELS.map((level, index) => [level, index]));

/**
 * The MCP sink of one server: silent until the client sends logging/setLevel, then sends
 * each message at or above that level. The server must declare the `logging` capability.
 * Tracked here rather than by the SDK, which would send everything before any setLevel.
 */
export function mcpLogSink(server: Server): LogSink {
  let clientLevel: LoggingLevel | undefined;
  server.setRequestHandler("logging/setLevel", (request) => {
    clientLevel = request.params.level;
    return {};
  });
  return (level, message) => {
    if (clientLevel === undefined || (MCP_SEVERITY.get(level as LoggingLevel) ?? 0) < (MCP_SEVERITY.get(clientLevel) ?? 0)) return;
    // Logging must never fail a call: a closed transport just drops the message.
    server.sendLoggingMessage({ level, logger: "billing-mcp", data: redact(message) }).catch(() => undefined);
  };
}
