// The Viam sandbox in a process of its own, so that neither the benchmark's client nor the
// server under test shares an event loop with it. Prints its address and key as one JSON
// line on stdout. Each line `delay N` on stdin makes every billing RPC take N ms more (a
// network's round trip; answered `ok`). Stops when stdin closes.
import { createInterface } from "node:readline";
import { startViamSandbox } from "../src/sandbox/viam-sandbox.js";

const sandbox = await startViamSandbox(); // the system clock: the bench measures speed, not dates
process.stdout.write(`${JSON.stringify({ url: sandbox.url, apiKeyId: sandbox.apiKeyId, apiKey: sandbox.apiKey })}\n`);
const lines = createInterface({ input: process.stdin });
lines.on("line", (line) => {
  const delay = /^delay (\d+)$/.exec(line.trim());
  if (delay) sandbox.faults.delayMs = Number(delay[1]);
  process.stdout.write(delay ? "ok\n" : `unknown command: ${line}\n`);
});
lines.on("close", () => void sandbox.close().then(() => process.exit(0)));
