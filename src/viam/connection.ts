// The one Viam connection of a server process: logs in (API key -> bearer token,
// proto.rpc.v1.AuthService) lazily on first use, shares the session across concurrent calls,
// and speaks the full current proto (src/viam/proto.ts, generated) with that token; the
// organization list comes from @viamrobotics/sdk's app client, given the same token.
import type { MessageType, PartialMessage } from "@bufbuild/protobuf";
import { createPromiseClient } from "@connectrpc/connect";
import type { PromiseClient, Transport } from "@connectrpc/connect";
import { createAsyncIterable } from "@connectrpc/connect/protocol";
import { Code } from "@connectrpc/connect";
import type { Config } from "../core/config.js";
import { asRpcFailure, describeViamFailure, registerSecret, ToolError } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import { backOff } from "../core/retry.js";
import type { RetryPolicy } from "../core/retry.js";
import { AuthService, BillingService } from "./proto.js";
import { createViamTransport, installViamTransport } from "./transport.js";
import type { ViamSandbox } from "../sandbox/viam-sandbox.js";

type Methods = typeof BillingService.methods;
export type RequestOf<K extends keyof Methods> = Methods[K]["I"] extends MessageType<infer M> ? PartialMessage<M> : never;
export type ResponseOf<K extends keyof Methods> = Methods[K]["O"] extends MessageType<infer M> ? M : never;
type UnaryKey = { [K in keyof Methods]: Methods[K]["name"] extends "GetInvoicePdf" ? never : K }[keyof Methods];

export interface CallOptions {
  /** What the call is about, for error messages: `usage for org "x"`. */
  what: string;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Reads may be retried on UNAVAILABLE / RESOURCE_EXHAUSTED; writes never are. */
  retryable: boolean;
}

/** An organization as the SDK's app client returns it (the fields we read). */
export interface ListedOrganization {
  id: string;
  name: string;
}

/** The part of the SDK's AppClient we use; its bundled typings resolve to `any` here. */
interface SdkAppClient {
  listOrganizations(): Promise<ListedOrganization[]>;
}

interface Session {
  client: PromiseClient<typeof BillingService>;
  /** The SDK's own app client, given the session's access token. */
  app: SdkAppClient;
  /** src/viam/transport.ts with the session's bearer token. */
  transport: Transport;
}

/** Reads and logins on UNAVAILABLE / RESOURCE_EXHAUSTED. */
const VIAM_RETRY: RetryPolicy = { baseMs: 100, maxTries: 5 };

export class ViamConnection {
  private session: Promise<Session> | undefined;
  /** What `session` resolved to, once it has (cleared with it): calls then use it without waiting (no timer, no listener). */
  private ready: Session | undefined;
  private sandbox: Promise<ViamSandbox> | undefined;
  private hasSucceeded = false;
  /** Aborted on close: ends an authentication still under way. */
  private readonly closing = new AbortController();

  constructor(
    private readonly config: Config,
    private readonly logger: Logger,
  ) {}

  get isSandbox(): boolean {
    return this.config.viam.kind === "sandbox";
  }

  async unary<K extends UnaryKey>(key: K, request: RequestOf<K>, options: CallOptions): Promise<ResponseOf<K>> {
    return this.withSession(options, async (session, attemptOptions) => {
      // A union of keys gives a union of methods, which TypeScript cannot call; this is that one method.
      const method = session.client[key] as unknown as (req: RequestOf<K>, opts: typeof attemptOptions) => Promise<ResponseOf<K>>;
      return method(request, attemptOptions);
    });
  }

  /**
   * GetInvoicePdf: hands each chunk to `onChunk` as it arrives; never holds the whole PDF.
   * The chunk is BORROWED: a view into the transport's reused buffer (src/viam/transport.ts),
   * valid only until the promise `onChunk` returns settles, since the next chunk is read into
   * the same memory. Write it, hash it, or copy it; do not keep it.
   */
  async streamInvoicePdf(
    request: RequestOf<"getInvoicePdf">,
    options: CallOptions,
    onChunk: (borrowedChunk: Uint8Array) => Promise<void> | void,
  ): Promise<void> {
    let delivered = false;
    await this.withSession(
      { ...options, retryable: false },
      async (session, attemptOptions) => {
        // The transport directly, not the promise client: its iterator lacks return(), so a
        // consumer that stops early (a failed write, the resource cap) would leave the
        // stream open; for-await over the transport's own iterable closes it.
        const method = BillingService.methods.getInvoicePdf;
        const response = await session.transport.stream(
          BillingService,
          method,
          attemptOptions.signal,
          attemptOptions.timeoutMs,
          undefined,
          createAsyncIterable([request]),
        );
        for await (const message of response.message) {
          delivered = true;
          await onChunk(message.chunk);
        }
      },
      // Once a chunk has been handed on, repeating the stream would duplicate bytes.
      () => !delivered,
    );
  }

  /**
   * AppService/ListOrganizations through the SDK's app client: the organizations the key is a
   * member of. The SDK's method takes no deadline or signal, so the call's own are enforced
   * here (waitFor): a call that outlives them is abandoned, not cancelled on the wire.
   */
  async listOrganizations(options: CallOptions): Promise<ListedOrganization[]> {
    return this.withSession(options, async (session, attemptOptions) => {
      const organizations = await waitFor(session.app.listOrganizations(), attemptOptions.timeoutMs, attemptOptions.signal);
      return organizations.map((o) => ({ id: String(o.id), name: String(o.name ?? "") }));
    });
  }

  async close(): Promise<void> {
    this.closing.abort();
    const sandbox = this.sandbox;
    this.sandbox = undefined;
    if (sandbox) await (await sandbox).close().catch(() => undefined);
  }

  /**
   * Runs `attempt` with the shared session under the call's deadline and abort signal:
   * waiting for authentication counts against the deadline and stops on cancellation;
   * retryable calls are retried on UNAVAILABLE / RESOURCE_EXHAUSTED with exponential
   * backoff and jitter while the deadline allows, and so is a login that meets them (for any
   * call: nothing was sent yet); an UNAUTHENTICATED answer after a working
   * session means the token expired: authenticate once more and repeat the call once
   * (safe for writes too: the server refused before acting).
   */
  private async withSession<T>(
    options: CallOptions,
    attempt: (session: Session, opts: { timeoutMs: number; signal?: AbortSignal }) => Promise<T>,
    mayRepeat: () => boolean = () => true,
  ): Promise<T> {
    const deadline = Date.now() + options.timeoutMs;
    const cancelled = () => new ToolError(`The request for ${options.what} was cancelled.`, Code.Canceled);
    const timedOut = () => describeViamFailure({ code: Code.DeadlineExceeded, rawMessage: "" }, options.what, options.timeoutMs);
    /** On UNAVAILABLE / RESOURCE_EXHAUSTED, wait out the backoff if attempts and the deadline allow; true: try again. */
    const transient = (err: unknown, tries: number, what: string): Promise<boolean> | false => {
      const code = asRpcFailure(err)?.code;
      if (code !== Code.Unavailable && code !== Code.ResourceExhausted) return false;
      return backOff({ policy: VIAM_RETRY, tries, deadline, signal: options.signal, logger: this.logger, what: what + options.what, reason: Code[code] });
    };
    let reauthenticated = false;
    for (let tries = 1; ; tries++) {
      if (options.signal?.aborted) throw cancelled();
      if (deadline - Date.now() <= 0) throw timedOut();
      const pending = this.connect(options.timeoutMs);
      let session: Session;
      try {
        session = this.ready && this.session === pending ? this.ready : await waitFor(pending, deadline - Date.now(), options.signal);
      } catch (err) {
        if (options.signal?.aborted) throw cancelled();
        // The login is safe to repeat, for reads and writes alike: nothing was sent yet.
        if (await transient(err, tries, "the login for ")) continue;
        throw describeViamFailure(err, options.what, options.timeoutMs);
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw timedOut();
      try {
        const result = await attempt(session, { timeoutMs: remaining, signal: options.signal });
        this.hasSucceeded = true;
        return result;
      } catch (err) {
        if (options.signal?.aborted) throw cancelled();
        const failure = asRpcFailure(err);
        if (failure?.code === Code.Unauthenticated && this.hasSucceeded && !reauthenticated && mayRepeat()) {
          reauthenticated = true;
          // Many calls may see the same expired token at once: only the first drops that
          // session; the others then share the one new authentication.
          if (this.session === pending) {
            this.logger.log("info", "Viam access token rejected; authenticating again");
            this.session = undefined;
            this.ready = undefined;
          }
          continue;
        }
        if (options.retryable && mayRepeat() && (await transient(err, tries, ""))) continue;
        throw describeViamFailure(err, options.what, options.timeoutMs);
      }
    }
  }

  /**
   * The one shared authentication (single flight). It runs on its own budget, at least the
   * default deadline, so a caller with a short deadline does not doom the callers that share
   * it; each caller waits for it only within its own deadline (see withSession).
   */
  private connect(callerTimeoutMs: number): Promise<Session> {
    if (!this.session) {
      const pending = this.authenticate(Math.max(callerTimeoutMs, this.config.defaultTimeoutMs));
      this.session = pending;
      pending.then(
        (session) => {
          if (this.session === pending) this.ready = session;
        },
        // A failed authentication is not cached: the next call tries again.
        () => {
          if (this.session === pending) this.session = undefined;
        },
      );
    }
    return this.session;
  }

  private async authenticate(timeoutMs: number): Promise<Session> {
    const deadline = Date.now() + timeoutMs;
    const target = await this.resolveTarget();
    // The login the SDK would make (AuthService/Authenticate, credentials of type api-key),
    // made here with a deadline and ended by close(); the SDK's own login takes neither.
    const login = createPromiseClient(AuthService, createViamTransport({ baseUrl: target.serviceHost }));
    const { accessToken } = await login.authenticate(
      { entity: target.apiKeyId, credentials: { type: "api-key", payload: target.apiKey } },
      { timeoutMs: Math.max(1, deadline - Date.now()), signal: this.closing.signal },
    );
    // Before any answer could quote it.
    registerSecret(accessToken);
    const transport = createViamTransport({ baseUrl: target.serviceHost, accessToken });
    // The SDK's app client, from its public API: an existing token is used as is (no second
    // login), and its transports come through GRPC_TRANSPORT_FACTORY (src/viam/transport.ts).
    const { createViamClient } = await import("@viamrobotics/sdk");
    installViamTransport();
    const viamClient = await createViamClient({ serviceHost: target.serviceHost, credentials: { type: "access-token", payload: accessToken } });
    this.logger.log("info", `authenticated to ${target.sandbox ? "the embedded sandbox" : target.serviceHost}`);
    return { client: createPromiseClient(BillingService, transport), transport, app: sdkAppClient(viamClient) };
  }

  private async resolveTarget(): Promise<{ serviceHost: string; apiKeyId: string; apiKey: string; sandbox: boolean }> {
    const viam = this.config.viam;
    if (viam.kind === "misconfigured") throw new ToolError(viam.problem, Code.Unauthenticated);
    if (viam.kind === "live") return { ...viam, sandbox: false };
    this.sandbox ??= import("../sandbox/viam-sandbox.js").then(({ startViamSandbox }) => startViamSandbox({ clock: this.config.clock }));
    const sandbox = await this.sandbox;
    registerSecret(sandbox.apiKey);
    registerSecret(sandbox.apiKeyId);
    return { serviceHost: sandbox.url, apiKeyId: sandbox.apiKeyId, apiKey: sandbox.apiKey, sandbox: true };
  }
}

/** ViamClient.appClient (public in the SDK's typings), checked for the one method we call. */
function sdkAppClient(viamClient: { appClient?: unknown }): SdkAppClient {
  const app = viamClient.appClient as Partial<SdkAppClient> | undefined;
  if (!app || typeof app.listOrganizations !== "function") {
    throw new ToolError("This version of @viamrobotics/sdk has no appClient.listOrganizations; pin @viamrobotics/sdk 0.61.x.");
  }
  return app as SdkAppClient;
}

/**
 * Wait for `promise` at most `timeoutMs`, and not past `signal`'s abort. Rejects with an
 * RPC-shaped DEADLINE_EXCEEDED or CANCELED failure; the promise itself runs on.
 */
export function waitFor<T>(promise: Promise<T>, timeoutMs: number, signal?: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const cancel = () => settle(() => reject({ code: Code.Canceled, rawMessage: "cancelled" }));
    const timer = setTimeout(() => settle(() => reject({ code: Code.DeadlineExceeded, rawMessage: "" })), Math.max(0, timeoutMs));
    const settle = (then: () => void) => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", cancel);
      then();
    };
    if (signal?.aborted) return cancel();
    signal?.addEventListener("abort", cancel, { once: true });
    promise.then(
      (value) => settle(() => resolve(value)),
      (err: unknown) => settle(() => reject(err)),
    );
  });
}
