// A hostile upstream that quotes the secrets it was sent, in every position: no tool answer,
// no byte of stdout or stderr and no audit line may show one, nor a 12-character prefix of
// one, in any letter case. The built server over stdio, the real MCP client, both sandboxes.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LATITUDE_SANDBOX_PROJECTS } from "../src/sandbox/latitude-data.js";
import { liveEnv, startLatitudeSandbox, startViamSandbox, textOf } from "./harness.js";
import type { LatitudeSandbox, ViamSandbox } from "./harness.js";
import { startServerProcess } from "./process-harness.js";
import type { ServerProcess } from "./process-harness.js";

let viam: ViamSandbox;
let latitude: LatitudeSandbox;
let server: ServerProcess;
const audit = join(mkdtempSync(join(tmpdir(), "billing-mcp-secrets-")), "audit.jsonl");
const answers: string[] = [];

beforeAll(async () => {
  viam = await startViamSandbox();
  latitude = await startLatitudeSandbox();
  server = await startServerProcess(
    liveEnv(viam, {
      LATITUDESH_BEARER: latitude.token,
      LATITUDESH_SERVER_URL: latitude.url,
      BILLING_MCP_AUDIT_LOG: audit,
      BILLING_MCP_DOWNLOAD_DIR: mkdtempSync(join(tmpdir(), "billing-mcp-secrets-dl-")),
    }),
    ["--allow-writes"],
  );
});
afterAll(async () => {
  await server?.close();
  await viam?.close();
  await latitude?.close();
});

async function ask(name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  const result = (await server.client.callTool({ name, arguments: args })) as CallToolResult;
  answers.push(JSON.stringify(result));
  return result;
}

/** Every secret the server holds, and the 12-character head of each, lower-cased. */
function secretsAndHeads(): string[] {
  const secrets = [...viam.issuedTokens, viam.apiKey, viam.apiKeyId, latitude.token];
  return secrets.flatMap((s) => [s, s.slice(0, 12)]).map((s) => s.toLowerCase());
}

describe("a hostile upstream quoting secrets", () => {
  it("a Viam error quoting the bearer token, the key and its id shows none of them", async () => {
    await ask("viam_get_available_billing_tiers", {}); // logs in, so a token is in play
    viam.faults.quoteSecretsNext = 1;
    const result = await ask("viam_get_invoices_summary", { org_id: "org-acme" });
    expect(result.isError).toBe(true);
    // The quote reached the answer, masked.
    expect(textOf(result)).toMatch(/^Permission denied .*\(Viam said: token \[redacted\] is not valid; \{"token":"\[redacted\]","key_id":"\[redacted\]","key":"\[redacted\]"\}; session=\[redacted\]; AUTH \[redacted\] KEY \[redacted\]; cut: \[redacted\]\)/);
  });

  it("so does a failed charge, in its answer and its audit line", async () => {
    const args = { org_id_to_charge: "org-acme", subtotal: 10, tax: 0 };
    const preview = await ask("viam_charge_organization", args);
    viam.faults.quoteSecretsNext = 1;
    const token = (preview.structuredContent as { confirmation_token: string }).confirmation_token;
    const failed = await ask("viam_charge_organization", { ...args, confirm: true, confirmation_token: token });
    expect(textOf(failed)).toMatch(/Viam said: token \[redacted\] is not valid/);
    expect(readFileSync(audit, "utf8")).toMatch(/"outcome":"failed".*token \[redacted\] is not valid/);
  });

  it("a PDF answer whose status line quotes the token, cut short, shows none of it", async () => {
    viam.faults.pdfStatusLineQuotesToken = true;
    const invoiceId = viam.state.orgs.get("org-acme")?.invoices[0]?.id;
    const result = await ask("viam_get_invoice_pdf", { org_id: "org-acme", invoice_id: invoiceId, dest: "hostile.pdf" });
    viam.faults.reset();
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/session=\[redacted\]/);
  });

  it("a Latitude.sh detail quoting the token, longer than 300 characters, shows none of it", async () => {
    latitude.faults.quoteToken = true;
    const result = await ask("latitude_get_billing_usage", { project: LATITUDE_SANDBOX_PROJECTS[0]!.id });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/Latitude\.sh said: Forbidden: token \[redacted\] is not valid; \{"token":"\[redacted\]"\}; session=\[redacted\]; \[redacted\]; x+\[redacted\]/);
  });

  it("the spend overview quoting both shows none of them", async () => {
    viam.faults.quoteSecretsNext = 10;
    latitude.faults.quoteToken = true;
    await ask("billing_spend_overview", { org_ids: ["org-acme"], latitude_projects: [LATITUDE_SANDBOX_PROJECTS[0]!.id] });
    viam.faults.reset();
    latitude.faults.quoteToken = false;
  });

  it("no answer, stdout, stderr or audit line holds a secret or its 12-character head, in any case", () => {
    expect(viam.issuedTokens.length).toBeGreaterThan(0);
    const seen = { answers: answers.join("\n"), stdout: server.stdout(), stderr: server.stderr(), audit: readFileSync(audit, "utf8") };
    for (const [where, text] of Object.entries(seen)) {
      const lower = text.toLowerCase();
      for (const secret of secretsAndHeads()) expect(lower.includes(secret), `${where} holds a secret`).toBe(false);
    }
  });
});
