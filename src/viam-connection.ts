// The one Viam connection of a server process: authenticates through @viamrobotics/sdk
// (API key -> bearer token over gRPC-web) lazily on first use, shares it across concurrent
// calls, and speaks the full current proto (src/viam-proto.ts) over the SDK's transport.
import { createPromiseClient } from "@connectrpc/connect";
import type { PromiseClient, Transport } from "@connectrpc/connect";
import { Code } from "@connectrpc/connect";
import type { Config } from "./config.js";
import { asRpcFailure, describeViamFailure, registerSecret, ToolError } from "./errors.js";
import type { Logger } from "./logger.js";
import { BillingService } from "./viam-proto.js";
import type { MsgType } from "./viam-proto.js";
import type { ViamSandbox } from "./sandbox/viam-sandbox.js";

type Methods = typeof BillingService.methods;
type FieldsOf<T> = T extends MsgType<infer F> ? F : never;
export type RequestOf<K extends keyof Methods> = Partial<FieldsOf<Methods[K]["I"]>>;
export type ResponseOf<K extends keyof Methods> = FieldsOf<Methods[K]["O"]>;
type UnaryKey = { [K in keyof Methods]: Methods[K]["name"] extends "GetInvoicePdf" ? never : K }[keyof Methods];

export interface CallOptions {
  /** What the call is about, for error messages: `usage for org "x"`. */
  what: string;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Reads may be retried on UNAVAILABLE / RESOURCE_EXHAUSTED; writes never are. */
  retryable: boolean;
}

interface Session {
  client: PromiseClient<typeof BillingService>;
}

const RETRY_BASE_MS = 100;
const RETRY_MAX_ATTEMPTS = 5;

export class ViamConnection {
  private session: Promise<Session> | undefined;
  private sandbox: Promise<ViamSandbox> | undefined;
  private hasSucceeded = false;

  constructor(
    private readonly config: Config,
    private readonly logger: Logger,
  ) {}

  get isSandbox(): boolean {
    return this.config.viam.kind === "sandbox";
  }

  async unary<K extends UnaryKey>(key: K, request: RequestOf<K>, options: CallOptions): Promise<ResponseOf<K>> {
    return this.withSession(options, async (session, attemptOptions) => {
      const method = session.client[key] as unknown as (
        req: RequestOf<K>,
        opts: { timeoutMs: number; signal?: AbortSignal },
      ) => Promise<ResponseOf<K>>;
      return method(request, attemptOptions);
    });
  }

  /** GetInvoicePdf: hands each chunk to `onChunk` as it arrives; never holds the whole PDF. */
  async streamInvoicePdf(
    request: RequestOf<"getInvoicePdf">,
    options: CallOptions,
    onChunk: (chunk: Uint8Array) => Promise<void> | void,
  ): Promise<void> {
    await this.withSession({ ...options, retryable: false }, async (session, attemptOptions) => {
      for await (const message of session.client.getInvoicePdf(request, attemptOptions)) {
        await onChunk((message as unknown as ResponseOf<"getInvoicePdf">).chunk);
      }
    });
  }

  async close(): Promise<void> {
    const sandbox = this.sandbox;
    this.sandbox = undefined;
    if (sandbox) await (await sandbox).close().catch(() => undefined);
  }

  private async withSession<T>(
    options: CallOptions,
    attempt: (session: Session, opts: { timeoutMs: number; signal?: AbortSignal }) => Promise<T>,
  ): Promise<T> {
    const deadline = Date.now() + options.timeoutMs;
    let reauthenticated = false;
    for (let tries = 1; ; tries++) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw describeViamFailure({ code: Code.DeadlineExceeded, rawMessage: "" }, options.what, options.timeoutMs);
      let session: Session;
      try {
        session = await this.connect(options);
      } catch (err) {
        throw describeViamFailure(err, options.what, options.timeoutMs);
      }
      try {
        const result = await attempt(session, { timeoutMs: remaining, signal: options.signal });
        this.hasSucceeded = true;
        return result;
      } catch (err) {
        const failure = asRpcFailure(err);
        if (options.signal?.aborted) throw new ToolError(`The request for ${options.what} was cancelled.`, Code.Canceled);
        // An access token can expire mid-session: authenticate once more and retry once.
        if (failure?.code === Code.Unauthenticated && this.hasSucceeded && !reauthenticated) {
          reauthenticated = true;
          this.logger.log("info", "Viam access token rejected; authenticating again");
          this.session = undefined;
          continue;
        }
        const transient = failure?.code === Code.Unavailable || failure?.code === Code.ResourceExhausted;
        if (options.retryable && transient && tries < RETRY_MAX_ATTEMPTS) {
          const backoff = RETRY_BASE_MS * 2 ** (tries - 1) * (0.5 + Math.random());
          if (Date.now() + backoff < deadline) {
            this.logger.log("debug", `retrying ${options.what} after ${Code[failure.code]} in ${Math.round(backoff)} ms`);
            await sleep(backoff, options.signal);
            continue;
          }
        }
        throw describeViamFailure(err, options.what, options.timeoutMs);
      }
    }
  }

  private connect(options: CallOptions): Promise<Session> {
    if (!this.session) {
      const pending = this.authenticate(options.timeoutMs);
      this.session = pending;
      // A failed authentication is not cached: the next call tries again.
      pending.catch(() => {
        if (this.session === pending) this.session = undefined;
      });
    }
    return this.session;
  }

  private async authenticate(timeoutMs: number): Promise<Session> {
    const target = await this.resolveTarget();
    const { createViamClient } = await import("@viamrobotics/sdk");
    // The SDK's bundled typings resolve to `any` here; pin the boundary type ourselves.
    const viamClient = await withTimeout<object>(
      createViamClient({
        serviceHost: target.serviceHost,
        credentials: { type: "api-key", authEntity: target.apiKeyId, payload: target.apiKey },
      }),
      timeoutMs,
    );
    const transport = sdkTransport(viamClient);
    this.logger.log("info", `authenticated to ${target.sandbox ? "the embedded sandbox" : target.serviceHost}`);
    return { client: createPromiseClient(BillingService, transport) };
  }

  private async resolveTarget(): Promise<{ serviceHost: string; apiKeyId: string; apiKey: string; sandbox: boolean }> {
    const viam = this.config.viam;
    if (viam.kind === "misconfigured") throw new ToolError(viam.problem, Code.Unauthenticated);
    if (viam.kind === "live") return { ...viam, sandbox: false };
    this.sandbox ??= import("./sandbox/viam-sandbox.js").then(({ startViamSandbox }) => startViamSandbox());
    const sandbox = await this.sandbox;
    registerSecret(sandbox.apiKey);
    return { serviceHost: sandbox.url, apiKeyId: sandbox.apiKeyId, apiKey: sandbox.apiKey, sandbox: true };
  }
}

/**
 * The SDK keeps its authenticated transport in a field its typings mark private, and its
 * package entry exports no transport factory. We need that transport for the RPCs its
 * generated code lacks; this is the only place that reaches in, and it checks the shape.
 */
function sdkTransport(viamClient: object): Transport {
  const transport = (viamClient as { transport?: Partial<Transport> }).transport;
  if (!transport || typeof transport.unary !== "function" || typeof transport.stream !== "function") {
    throw new ToolError("This version of @viamrobotics/sdk does not expose its transport as expected; pin @viamrobotics/sdk 0.61.x.");
  }
  return transport as Transport;
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject({ code: Code.DeadlineExceeded, rawMessage: "authentication timed out" }), timeoutMs);
    promise.then(resolve, reject).finally(() => clearTimeout(timer));
  });
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
  });
}
