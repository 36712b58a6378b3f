// Logs go to stderr: stdout is the JSON-RPC channel and carries nothing else. When an MCP
// client asks for logs (logging/setLevel), they also go to it as notifications/message
// (src/mcp/log-sink.ts, apart so that start-up loads no MCP SDK).
import { redact } from "./errors.js";

export type LogLevel = "debug" | "info" | "warning" | "error";
const order: Record<LogLevel, number> = { debug: 0, info: 1, warning: 2, error: 3 };

export interface Logger {
  log(level: LogLevel, message: string): void;
}

/** A destination besides stderr; it filters by its own level. */
export type LogSink = (level: LogLevel, message: string) => void;

/** Log lines as the CLI writes them; `write` is stderr unless a test (the in-process harness) keeps them. */
export function stderrLogger(minLevel: LogLevel = (process.env.BILLING_MCP_LOG_LEVEL as LogLevel) || "info", write: (line: string) => void = (line) => process.stderr.write(line)): Logger {
  const min = order[minLevel] ?? order.info;
  return {
    log(level, message) {
      if (order[level] < min) return;
      write(`billing-mcp ${level}: ${redact(message)}\n`);
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
