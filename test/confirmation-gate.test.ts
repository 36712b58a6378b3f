// The gate's pieces that need no server: argument binding, single use, expiry, config.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/core/config.js";
import { canonicalJson, ConfirmationTokens, tokenFingerprint } from "../src/writes/confirmation-gate.js";

describe("canonicalJson", () => {
  it("ignores key order at every level and drops undefined", () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { y: 1, x: 0 }], c: undefined } })).toBe(canonicalJson({ a: { d: [2, { x: 0, y: 1 }] }, b: 1 }));
    expect(canonicalJson({ a: 1 })).not.toBe(canonicalJson({ a: 1.01 }));
    expect(canonicalJson({ a: [1, 2] })).not.toBe(canonicalJson({ a: [2, 1] }));
  });
});

describe("ConfirmationTokens", () => {
  it("binds a token to one tool and exact arguments, once, until it expires", () => {
    let now = 1_000_000;
    const tokens = new ConfirmationTokens(60_000, () => now);
    const { token, expiresAt } = tokens.issue("charge", '{"a":1}');
    expect(expiresAt).toBe(now + 60_000);
    expect(tokens.claim(token, "charge", '{"a":2}')).toMatchObject({ ok: false, reason: expect.stringMatching(/different arguments/) });
    expect(tokens.claim(token, "email", '{"a":1}')).toMatchObject({ ok: false, reason: expect.stringMatching(/issued for charge/) });
    expect(tokens.claim("nope", "charge", '{"a":1}')).toMatchObject({ ok: false, reason: expect.stringMatching(/not issued/) });
    expect(tokens.claim(token, "charge", '{"a":1}')).toEqual({ ok: true });
    expect(tokens.claim(token, "charge", '{"a":1}')).toMatchObject({ ok: false, reason: expect.stringMatching(/already used/) });

    const late = tokens.issue("charge", "{}");
    now += 60_001;
    expect(tokens.claim(late.token, "charge", "{}")).toMatchObject({ ok: false, reason: expect.stringMatching(/expired/) });
  });

  it("tells an evicted or pruned token from one this process never issued", () => {
    let now = 0;
    const tokens = new ConfirmationTokens(1000, () => now, 3);
    const first = tokens.issue("charge", "{}").token;
    for (let i = 0; i < 3; i++) tokens.issue("charge", "{}");
    expect(tokens.claim(first, "charge", "{}")).toEqual({ ok: false, reason: "this confirmation_token expired or was evicted (the server keeps at most 3 pending previews)." });
    // Expired, then pruned one TTL later: still known as ours.
    const late = tokens.issue("charge", "{}").token;
    now += 2001;
    tokens.issue("charge", "{}");
    expect(tokens.claim(late, "charge", "{}")).toMatchObject({ ok: false, reason: expect.stringMatching(/^this confirmation_token expired or was evicted/) });
    // Forged, altered, or another process's token: not issued here.
    const other = new ConfirmationTokens(1000, () => now).issue("charge", "{}").token;
    for (const foreign of [other, `${first.slice(0, -1)}${first.endsWith("A") ? "B" : "A"}`, "A".repeat(32), ""]) {
      expect(tokens.claim(foreign, "charge", "{}")).toMatchObject({ ok: false, reason: expect.stringMatching(/^this confirmation_token was not issued by this server process/) });
    }
  });

  it("issues unguessable tokens and fingerprints them without revealing them", () => {
    const tokens = new ConfirmationTokens(1000, () => 0);
    const issued = [...new Set(Array.from({ length: 100 }, () => tokens.issue("t", "{}").token))];
    expect(issued.length).toBe(100);
    expect(issued.every((t) => Buffer.from(t, "base64url").length >= 16)).toBe(true); // at least 128 random bits
    for (const token of issued) {
      // A one-way digest of the token (not a slice or an encoding of it), the same each time,
      // so that the audit log ties a preview to its confirmation.
      const fingerprint = tokenFingerprint(token);
      expect(fingerprint).toBe(`sha256:${createHash("sha256").update(token).digest("hex").slice(0, 12)}`);
      expect(tokenFingerprint(token)).toBe(fingerprint);
      expect(fingerprint).not.toContain(token.slice(0, 6));
      expect(fingerprint).not.toContain(Buffer.from(token, "base64url").toString("hex").slice(0, 6));
    }
    expect(new Set(issued.map(tokenFingerprint)).size).toBe(100);
  });
});

describe("write settings", () => {
  it("defaults: audit log in the XDG state directory, 1000 USD cap, 5 minute tokens", () => {
    const config = loadConfig({ HOME: "/home/u", XDG_STATE_HOME: "/state" });
    expect(config.auditLogPath).toBe("/state/billing-mcp/audit.jsonl");
    expect(config.maxChargeUsd).toBe(1000);
    expect(config.confirmTtlMs).toBe(300_000);
    expect(loadConfig({ BILLING_MCP_AUDIT_LOG: "/var/log/b.jsonl" }).auditLogPath).toBe("/var/log/b.jsonl");
  });

  it("refuses to start with a mistyped cap rather than guess", () => {
    for (const bad of ["abc", "-5", "0", "1e999"]) {
      expect(() => loadConfig({ BILLING_MCP_MAX_CHARGE: bad })).toThrow(/BILLING_MCP_MAX_CHARGE must be a positive number/);
    }
    expect(loadConfig({ BILLING_MCP_MAX_CHARGE: "250.5", BILLING_MCP_CONFIRM_TTL_SECONDS: "1" })).toMatchObject({ maxChargeUsd: 250.5, confirmTtlMs: 1000 });
  });
});
