// The write gate's state shared by every replica, in Redis (BILLING_MCP_REDIS_URL). Each
// check-and-change is one Lua script, so Redis runs it atomically: a token is spent by exactly
// one confirmation across all replicas, and a charge is checked against the duplicate rule and
// the daily cap and counted in the same step. Tokens are stored under their hash, never as
// given. When Redis cannot be reached, every write is refused with a clear error; read tools
// never touch it.
import { createHash, randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { ToolError } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import { chargeProblem, LEDGER_WINDOW_MS } from "../writes/charge-ledger.js";
import type { ChargeIdentity, ChargeRules, LedgerCharge } from "../writes/charge-ledger.js";
import { checkClaim } from "../writes/confirmation-gate.js";
import type { Claim, Issued } from "../writes/confirmation-gate.js";
import type { SharedReservation, WriteState } from "../writes/write-state.js";

// KEYS[1] the token; ARGV tool, args, subject ("" for none), now. Spends it only if every check
// passes; returns the entry as it was, for the caller to word a refusal.
const CLAIM = `
local v = redis.call('GET', KEYS[1])
if not v then return false end
local e = cjson.decode(v)
local subject = e.subject
if subject == nil or subject == cjson.null then subject = '' end
if subject == ARGV[3] and not e.used and tonumber(ARGV[4]) <= e.expiresAt and e.tool == ARGV[1] and e.args == ARGV[2] then
  e.used = true
  redis.call('SET', KEYS[1], cjson.encode(e), 'KEEPTTL')
  return {1, v}
end
return {0, v}
`;

// KEYS[1] the org's charges (hash id -> JSON); ARGV now, window, id, charge JSON, same-charge
// key, cents, allow duplicate (1/0), daily cap in cents. Drops charges older than the window.
const RESERVE = `
local now = tonumber(ARGV[1])
local all = redis.call('HGETALL', KEYS[1])
local sum = 0
local duplicate = false
for i = 1, #all, 2 do
  local c = cjson.decode(all[i + 1])
  if c.at <= now - tonumber(ARGV[2]) then
    redis.call('HDEL', KEYS[1], all[i])
  else
    sum = sum + c.cents
    if c.key == ARGV[5] then duplicate = true end
  end
end
if (duplicate and ARGV[7] ~= '1') or sum + tonumber(ARGV[6]) > tonumber(ARGV[8]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[3], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`;

interface StoredCharge {
  key: string;
  tool: string;
  orgId: string;
  cents: number;
  description: string | null;
  at: number;
  state: "executed" | "unresolved";
  invoiceId?: string;
}

const sameChargeKey = (c: ChargeIdentity) => JSON.stringify([c.tool, c.orgId, c.cents, c.description]);
const hashed = (token: string) => createHash("sha256").update(token).digest("base64url");
/** How long start-up waits for Redis before serving anyway (writes are refused until it is reachable). */
const READY_WAIT_MS = 5_000;

export class RedisWriteState implements WriteState {
  readonly kind = "redis";
  private readonly redis: Redis;
  private readonly where: string;

  constructor(
    url: string,
    /** "sandbox" or the Viam host: sandbox rehearsals and real charges never count against each other. */
    private readonly target: string,
    private readonly ttlMs: number,
    private readonly now: () => number,
    private readonly logger: Logger,
  ) {
    // No offline queue and no retries of a command: a write must be refused now, not sent minutes later.
    this.redis = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 0, connectTimeout: 3_000, commandTimeout: 3_000, lazyConnect: true });
    const parsed = new URL(url);
    this.where = `${parsed.hostname}:${parsed.port || 6379}`;
    let down = false;
    this.redis.on("error", (err: Error) => {
      if (!down) logger.log("error", `Redis at ${this.where} unreachable (${err.message}): billing changes are refused until it is back; read tools keep working`);
      down = true;
    });
    this.redis.on("ready", () => {
      if (down) logger.log("info", `Redis at ${this.where} reachable again: billing changes accepted`);
      down = false;
    });
  }

  /** Connects, waiting a little; serving starts either way. */
  async start(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.redis.connect().catch(() => undefined), new Promise((resolve) => (timer = setTimeout(resolve, READY_WAIT_MS)))]);
    clearTimeout(timer);
  }

  private key(...parts: string[]): string {
    return ["billing-mcp", this.target, ...parts].join(":");
  }

  private async run<T>(what: string, op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (err) {
      const detail = err instanceof Error ? err.message : String(err);
      throw new ToolError(
        `Refused: the state replicas share (Redis at ${this.where}, BILLING_MCP_REDIS_URL) cannot be reached (${what}: ${detail}), and no billing change is made without it. Nothing was sent to Viam. Read tools keep working; try again once Redis is back.`,
      );
    }
  }

  async issueToken(tool: string, args: string, subject: string | undefined) {
    const token = randomBytes(24).toString("base64url");
    const expiresAt = this.now() + this.ttlMs;
    const entry: Issued = { tool, args, subject, expiresAt, used: false };
    // Kept one more TTL after expiry, so a late confirmation gets a precise reason.
    await this.run("issuing a confirmation token", () => this.redis.set(this.key("token", hashed(token)), JSON.stringify(entry), "PX", this.ttlMs * 2));
    return { token, expiresAt };
  }

  async revokeToken(token: string) {
    await this.run("revoking a confirmation token", () => this.redis.del(this.key("token", hashed(token))));
  }

  async claimToken(token: string, tool: string, args: string, subject: string | undefined): Promise<Claim> {
    const now = this.now();
    const answer = (await this.run("spending a confirmation token", () => this.redis.eval(CLAIM, 1, this.key("token", hashed(token)), tool, args, subject ?? "", String(now)))) as [number, string] | null;
    if (!answer) return { ok: false, reason: "this confirmation_token was not issued by any replica of this server, or expired long ago." };
    if (answer[0] === 1) return { ok: true };
    const claim = checkClaim(JSON.parse(answer[1]) as Issued, tool, args, subject, now);
    // The script and checkClaim agree on every rule; this only guards against a clock step between them.
    return claim.ok ? { ok: false, reason: "this confirmation_token could not be spent; call again without confirm for a new preview." } : claim;
  }

  async recent(orgId: string): Promise<LedgerCharge[]> {
    const all = await this.run("reading recent charges", () => this.redis.hgetall(this.key("charges", orgId)));
    const since = this.now() - LEDGER_WINDOW_MS;
    return Object.values(all)
      .map((json) => JSON.parse(json) as StoredCharge)
      .filter((c) => c.at > since)
      .sort((a, b) => a.at - b.at)
      .map(({ key: _key, at, ...c }) => ({ ...c, at: new Date(at), fromEarlierProcess: false }));
  }

  async problems(identity: ChargeIdentity, rules: ChargeRules) {
    return chargeProblem(await this.recent(identity.orgId), identity, rules);
  }

  async reserve(identity: ChargeIdentity, rules: ChargeRules): Promise<{ refused: string } | SharedReservation> {
    const id = randomBytes(12).toString("base64url");
    const hash = this.key("charges", identity.orgId);
    const charge: StoredCharge = { ...identity, key: sameChargeKey(identity), at: this.now(), state: "unresolved" };
    const passed = await this.run("counting the charge", () =>
      this.redis.eval(RESERVE, 1, hash, String(charge.at), String(LEDGER_WINDOW_MS), id, JSON.stringify(charge), charge.key, String(identity.cents), rules.allowDuplicate ? "1" : "0", String(rules.maxDailyCents)),
    );
    if (passed !== 1) {
      return { refused: (await this.problems(identity, rules)) ?? "another replica counted a charge to this organization at the same moment; preview again to see the current state." };
    }
    const drop = () => this.run("settling the charge", () => this.redis.hdel(hash, id)).then(() => undefined);
    return {
      executed: async (invoiceId) => {
        await this.run("recording the executed charge", () => this.redis.hset(hash, id, JSON.stringify({ ...charge, state: "executed", invoiceId })));
      },
      failed: async (uncertain) => (uncertain ? undefined : drop()),
      cancel: drop,
    };
  }

  async health() {
    try {
      await this.redis.ping();
      return { state: this.kind, redis: "reachable" };
    } catch (err) {
      return { state: this.kind, redis: `unreachable: ${err instanceof Error ? err.message : String(err)}` };
    }
  }

  async close() {
    this.redis.disconnect();
  }
}
