// Logs go to stderr: stdout is the JSON-RPC channel and carries nothing else.
import { redact } from "./errors.js";

export type LogLevel = "debug" | "info" | "warning" | "error";
const order: Record<LogLevel, number> = { debug: 0, info: 1, warning: 2, error: 3 };

export interface Logger {
  log(level: LogLevel, message: string): void;
}

export function stderrLogger(minLevel: LogLevel = (process.env.BILLING_MCP_LOG_LEVEL as LogLevel) || "info"): Logger {
  const min = order[minLevel] ?? order.info;
  return {
    log(level, message) {
      if (order[level] < min) return;
      process.stderr.write(`billing-mcp ${level}: ${redact(message)}\n`);
    },
  };
}
