// What billing-mcp takes from @viamrobotics/sdk, through its public API only: the app client
// (ListOrganizations), given the access token of our own login, with its transports built by
// our factory (globalThis.VIAM.GRPC_TRANSPORT_FACTORY). These fail loudly if an SDK release
// stops honouring the hook, logs in again with an existing token, or drops the client.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/core/config.js";
import { ViamConnection } from "../src/viam/connection.js";
import { startViamSandbox } from "./harness.js";
import type { ViamSandbox } from "./harness.js";

interface Hook {
  VIAM?: { GRPC_TRANSPORT_FACTORY?: (options: { baseUrl: string }) => unknown };
}

let sandbox: ViamSandbox;
let viam: ViamConnection;
const built: string[] = [];
const count = (rpc: string) => sandbox.calls.get(rpc) ?? 0;

beforeAll(async () => {
  sandbox = await startViamSandbox();
  viam = new ViamConnection(loadConfig({ VIAM_SERVICE_HOST: sandbox.url, VIAM_API_KEY_ID: sandbox.apiKeyId, VIAM_API_KEY: sandbox.apiKey }), {
    log: () => undefined,
  });
  // Log in (a billing read), then watch every transport the SDK builds from here on.
  await viam.unary("getAvailableBillingTiers", {}, { what: "tiers", timeoutMs: 10_000, retryable: true });
  const hook = globalThis as Hook;
  const ours = hook.VIAM?.GRPC_TRANSPORT_FACTORY;
  expect(ours, "ViamConnection installs the SDK's transport factory").toBeTypeOf("function");
  hook.VIAM!.GRPC_TRANSPORT_FACTORY = (options) => (built.push(options.baseUrl), ours!(options));
});
afterAll(async () => {
  await viam?.close();
  await sandbox?.close();
});

describe("@viamrobotics/sdk, public API only", () => {
  it("lists organizations over our transport with our token: one login in all", async () => {
    const logins = count("Authenticate");
    // A fresh session: the token is dropped, so the next call logs in and builds a new SDK client.
    sandbox.faults.expireTokens();
    await viam.unary("getAvailableBillingTiers", {}, { what: "tiers", timeoutMs: 10_000, retryable: true });
    expect(count("Authenticate") - logins).toBe(1);
    const orgs = await viam.listOrganizations({ what: "organizations", timeoutMs: 10_000, retryable: true });
    expect(orgs.map((o) => o.id)).toEqual(sandbox.visibleOrgIds);
    expect(count("ListOrganizations")).toBe(1);
    // The SDK built its transport through our factory, and did not log in with the token it was given.
    expect(built).toContain(sandbox.url);
    expect(count("Authenticate") - logins).toBe(1);
  });
});
