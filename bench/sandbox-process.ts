// The Viam sandbox in a process of its own, so that neither the benchmark's client nor the
// server under test shares an event loop with it. Prints its address and key as one JSON
// line on stdout; stops when stdin closes.
import { startViamSandbox } from "../src/sandbox/viam-sandbox.js";

const sandbox = await startViamSandbox();
process.stdout.write(`${JSON.stringify({ url: sandbox.url, apiKeyId: sandbox.apiKeyId, apiKey: sandbox.apiKey })}\n`);
process.stdin.resume();
process.stdin.on("end", () => void sandbox.close().then(() => process.exit(0)));
