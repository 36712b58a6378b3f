// The per-call figure's baseline: a bare relay process that reads a line from stdin, makes the
// same RPC the tool makes (GetCurrentMonthUsage over gRPC-web with @viamrobotics/sdk, one
// session), and writes a line. What an MCP server cannot do with less: a process, a pipe each
// way, the RPC. Its environment names the sandbox as the server's does.
import { createInterface } from "node:readline";
import { createViamClient } from "@viamrobotics/sdk";

interface Billing {
  billingClient: { getCurrentMonthUsage(orgId: string): Promise<{ toJsonString(): string }> };
}

const viam = (await createViamClient({
  serviceHost: process.env.VIAM_SERVICE_HOST ?? "",
  credentials: { type: "api-key", authEntity: process.env.VIAM_API_KEY_ID ?? "", payload: process.env.VIAM_API_KEY ?? "" },
})) as Billing;
process.stdout.write("ready\n");
createInterface({ input: process.stdin }).on("line", (orgId) => {
  void viam.billingClient.getCurrentMonthUsage(orgId.trim()).then(
    (usage) => process.stdout.write(`${usage.toJsonString()}\n`),
    (err: unknown) => process.stdout.write(`${JSON.stringify({ error: String(err) })}\n`),
  );
});
