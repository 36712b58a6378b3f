// Logs go to stderr: stdout is the JSON-RPC channel and carries nothing else. When an MCP
// client asks for logs (logging/setLevel), they also go to it as notifications/message.
import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { LoggingLevelSchema, SetLevelRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import type { LoggingLevel } from "@modelcontextprotocol/sdk/types.js";
import { redact } from "./errors.js";

export type LogLevel = "debug" | "info" | "warning" | "error";
const order: Record<LogLevel, number> = { debug: 0, info: 1, warning: 2, error: 3 };

export interface Logger {
  log(level: LogLevel, message: string): void;
}

/** A destination besides stderr; it filters by its own level. */
export type LogSink = (level: LogLevel, message: string) => void;

export function stderrLogger(minLevel: LogLevel = (process.env.BILLING_MCP_LOG_LEVEL as LogLevel) || "info"): Logger {
  const min = order[minLevel] ?? order.info;
  return {
    log(level, message) {
      if (order[level] < min) return;
      process.stderr.write(`billing-mcp ${level}: ${redact(message)}\n`);
    },
  };
}

/** `base` (stderr, at BILLING_MCP_LOG_LEVEL) plus each sink, at the sink's own level. */
export function withSinks(base: Logger, ...sinks: LogSink[]): Logger {
  return {
    log(level, message) {
      base.log(level, message);
      for (const sink of sinks) sink(level, message);
    },
  };
}

// MCP's syslog levels, least to most severe; ours are a subset with the same names.
const MCP_SEVERITY = new Map<LoggingLevel, number>(LoggingLevelSchema.options.map((level, index) => [level, index]));

/**
 * The MCP sink of one server: silent until the client sends logging/setLevel, then sends
 * each message at or above that level. The server must declare the `logging` capability.
 * Tracked here rather than by the SDK, which would send everything before any setLevel.
 */
export function mcpLogSink(server: Server): LogSink {
  let clientLevel: LoggingLevel | undefined;
  server.setRequestHandler(SetLevelRequestSchema, (request) => {
    clientLevel = request.params.level;
    return {};
  });
  return (level, message) => {
    if (clientLevel === undefined || (MCP_SEVERITY.get(level) ?? 0) < (MCP_SEVERITY.get(clientLevel) ?? 0)) return;
    // Logging must never fail a call: a closed transport just drops the message.
    server.sendLoggingMessage({ level, logger: "billing-mcp", data: redact(message) }).catch(() => undefined);
  };
}
