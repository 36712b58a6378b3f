// Server bootstrap: the state a process shares (Viam and Latitude.sh connections, the write
// gate, the calls in flight) and a factory of McpServers over it, each with the selected tools
// registered with annotations derived from their access class, and every call wrapped in the
// same context and error handling. serveStdio (src/cli.ts) asks the factory for the instance
// that serves a connection, of either protocol generation.
import { AsyncLocalStorage } from "node:async_hooks";
import { inputRequired, inputResponse, McpServer } from "@modelcontextprotocol/server";
import type { CallToolResult, InputRequiredResult, ServerContext } from "@modelcontextprotocol/server";
import { z } from "zod";
import { allTools } from "../../tools/index.js";
import { AuditLog } from "../writes/audit-log.js";
import { removeStalePartials } from "../viam/invoice-download.js";
import { writesDisabled } from "../core/config.js";
import type { Config } from "../core/config.js";
import { ChargeLedger, describeCharges } from "../writes/charge-ledger.js";
import { InProcessWriteState } from "../writes/write-state.js";
import type { WriteState } from "../writes/write-state.js";
import { chargeIdentity, CONFIRM_FORM, ConfirmationGate, confirmationFields, elicitationAsker, humanAnswer, writeOutputShape } from "../writes/confirmation-gate.js";
import type { InBandAsk } from "../writes/confirmation-gate.js";
import { redact, ToolError } from "../core/errors.js";
import { timeoutField } from "./fields.js";
import { registerInvoiceResources } from "./invoice-resources.js";
import { registerAppTool } from "@modelcontextprotocol/ext-apps/server";
import { registerSpendApp, SPEND_APP_URI } from "./spend-app.js";
import { LatitudeClient } from "../latitude/client.js";
import { OrgDirectory } from "../viam/org-directory.js";
import { compactInputSchema, listedAnnotations, listedSchema } from "./listed-schema.js";
import { withSinks } from "../core/logger.js";
import { mcpLogSink } from "./log-sink.js";
import type { Logger, LogLevel, LogSink } from "../core/logger.js";
import { registerPrompts } from "./prompts.js";
import { instructions, SERVER_NAME, SERVER_VERSION } from "./server-info.js";
import { SANDBOX_NOTICE } from "../billing/render.js";
import type { Principal, ToolContext, ToolDefinition } from "./tool-definition.js";
import { ViamConnection } from "../viam/connection.js";

export { instructions, SERVER_NAME, SERVER_VERSION };

export interface BillingServerOptions {
  config: Config;
  logger: Logger;
  tools?: readonly ToolDefinition[];
  /** --allow-writes: write tools are served (through the confirmation gate); otherwise calls to them are refused with how to enable them. */
  allowWrites?: boolean;
  /**
   * With writes off, list each write tool as a disabled stub (no arguments; its description and
   * the refusal of a call say how to enable it). Default true; the CLI turns it off when --tools
   * selects the tools, so that exactly those are listed.
   */
  writeStubs?: boolean;
  /** Where tokens and recent charges are kept (default: this process, from the audit log's tail). */
  writeState?: (ledger: ChargeLedger) => WriteState;
}

/** What one connection (stdio) or one HTTP request is allowed and who makes it. */
export interface ConnectionOptions {
  /** The verified token's subject and client (HTTP with OAuth). */
  principal?: Principal;
  /** False: this caller gets no write tools at all (neither tools nor stubs), e.g. a token without billing:write. Default true. */
  writes?: boolean;
  /** False: never ask through elicitation (stateless HTTP cannot carry the answer back to the same instance). Default true. */
  elicitation?: boolean;
}

export interface BillingServer {
  /** A new McpServer over this state, for one connection (closing it leaves the state open). */
  createServer(options?: ConnectionOptions): McpServer;
  /** Where this server keeps confirmation tokens and recent charges. */
  writeState: WriteState;
  /** Earlier charge attempts that got no answer (also in the instructions). */
  unresolvedCharges: string[];
  viam: ViamConnection;
  latitude: LatitudeClient;
  /** Tool calls running now. */
  readonly inFlight: number;
  /** When the last call in flight reaches its deadline plus a grace period (ms since epoch; 0 if none). */
  drainDeadline(): number;
  /**
   * Stop taking tool calls (new ones get a tool error) and wait for those in flight, at most
   * until the latest of their deadlines plus a grace period. True when all finished.
   */
  drain(): Promise<boolean>;
  close(): Promise<void>;
}

/** Time a call may still need after its upstream deadline (saving a file, an audit line). */
export const DRAIN_GRACE_MS = 5_000;
/** Our tools take a handful of arguments; refuse argument objects far larger before validating them. */
const MAX_TOOL_INPUT_ELEMENTS = 1_000;

/** The tool calls in flight, each with its deadline, so shutdown can let them finish. */
class InFlightCalls {
  private readonly deadlines = new Set<{ deadline: number }>();
  private readonly idle: (() => void)[] = [];
  draining = false;

  get size(): number {
    return this.deadlines.size;
  }

  /** The latest deadline of a call in flight plus the grace period; 0 when none is in flight. */
  drainDeadline(): number {
    return this.deadlines.size ? Math.max(...[...this.deadlines].map((e) => e.deadline)) + DRAIN_GRACE_MS : 0;
  }

  /** Track one call; returns its `done`. */
  start(timeoutMs: number): () => void {
    const entry = { deadline: Date.now() + timeoutMs };
    this.deadlines.add(entry);
    return () => {
      this.deadlines.delete(entry);
      if (this.deadlines.size === 0) this.idle.splice(0).forEach((wake) => wake());
    };
  }

  async drain(): Promise<boolean> {
    // Requests that arrived before shutdown began (e.g. piped in just before stdin closed) are
    // still being validated by the SDK: let them reach their handler and count as in flight.
    await new Promise((resolve) => setImmediate(resolve));
    this.draining = true;
    if (this.deadlines.size > 0) {
      const latest = Math.max(...[...this.deadlines].map((e) => e.deadline));
      let timer: NodeJS.Timeout | undefined;
      const finished = await Promise.race([
        new Promise<true>((resolve) => this.idle.push(() => resolve(true))),
        new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), Math.max(0, latest - Date.now()) + DRAIN_GRACE_MS))),
      ]);
      clearTimeout(timer);
      if (!finished) return false;
    }
    // Let the protocol layer write the last responses (it does so after the handler resolves).
    await new Promise((resolve) => setImmediate(resolve));
    return true;
  }
}

const sandboxField = z.boolean().describe("True when this is the embedded sandbox's demo data, not real billing.");

/** Every argument a tool takes as served: its own, the confirmation fields of writes, and timeout. */
export function toolInputShape(tool: ToolDefinition): z.ZodRawShape {
  return { ...tool.input, ...(tool.access === "write" ? confirmationFields : {}), timeout: timeoutField };
}

/**
 * The arguments schema a tool is served with. Unknown keys are refused, not dropped: a model
 * that sends `unpaid: true` or `currency: "EUR"` must learn the tool ignores it, rather than
 * get an answer (or a charge) it believes honours it.
 */
export function toolInputSchema(tool: ToolDefinition): z.ZodObject {
  const shape = toolInputShape(tool);
  const fields = Object.keys(shape).join(", ");
  return z.strictObject(shape, {
    error: (issue) => (issue.code === "unrecognized_keys" ? `unknown argument${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => JSON.stringify(k)).join(", ")}: ${tool.name} takes ${fields}` : undefined),
  });
}

/** Check, as the github MCP server does, that a tool's declared access and hints agree. */
function assertConsistent(tool: ToolDefinition): void {
  if (tool.access === "read" && tool.annotations.destructiveHint) throw new Error(`${tool.name}: a read tool cannot be destructive`);
  if (tool.access === "write" && typeof tool.preview !== "function") throw new Error(`${tool.name}: a write tool needs a preview`);
}

/** Which Viam the audit log's lines are about: "sandbox", or the Viam host. */
export const auditTarget = (config: Config) => (config.viam.kind === "live" ? config.viam.serviceHost : config.viam.kind);

/** Charges of the last 24 hours, from the audit log: what the duplicate rule, the daily cap and restarts go by. */
export function chargeLedgerOf(config: Config): ChargeLedger {
  const writes = new Map(allTools.flatMap((t) => (t.access === "write" ? [[t.name, t] as const] : [])));
  const identityOf = (name: string, args: Record<string, unknown>) => {
    const tool = writes.get(name);
    return tool && chargeIdentity(name, tool.preview(args as never));
  };
  return ChargeLedger.fromAuditLog(config.auditLogPath, auditTarget(config), identityOf, config.clock);
}

/** Earlier charge attempts that got no answer, one description each (for instructions and the CLI). */
export const unresolvedCharges = (ledger: ChargeLedger): string[] => ledger.unresolvedFromEarlier().map((c) => describeCharges([c]));

export function createBillingServer({ config, logger: stderr, tools = allTools, allowWrites = false, writeStubs = true, writeState }: BillingServerOptions): BillingServer {
  const ledger = chargeLedgerOf(config);
  const unresolved = unresolvedCharges(ledger);
  // Log messages go to stderr and to each connected client that asked for them (logging/setLevel).
  const clientSinks = new Set<LogSink>();
  // And, while a 2026-07-28 call runs, to that call's client (whatever logs meanwhile: the
  // Viam connection's retries too).
  const callSink = new AsyncLocalStorage<LogSink>();
  const logger = withSinks(stderr, (level, message) => {
    clientSinks.forEach((sink) => sink(level, message));
    callSink.getStore()?.(level, message);
  });
  const viam = new ViamConnection(config, logger);
  const orgs = new OrgDirectory(viam, config, logger);
  const calls = new InFlightCalls();
  const latitude = new LatitudeClient(config, logger);
  const audit = new AuditLog(config.auditLogPath, auditTarget(config), config.clock);
  const state = writeState?.(ledger) ?? new InProcessWriteState(ledger, config.confirmTtlMs, () => config.clock().getTime());
  const gate = new ConfirmationGate({ audit, clock: config.clock, state, maxChargeUsd: config.maxChargeUsd, maxDailyChargeUsd: config.maxDailyChargeUsd, ttlMs: config.confirmTtlMs, logger });
  for (const tool of tools) assertConsistent(tool);
  // A server killed mid-download left its temporary file beside the destination.
  if (tools.some((t) => t.name === "viam_get_invoice_pdf")) {
    void removeStalePartials(config.downloadDir).then(
      (removed) => removed.length && logger.log("info", `removed ${removed.length} unfinished download${removed.length === 1 ? "" : "s"} a stopped server left: ${removed.join(", ")}`),
      () => undefined,
    );
  }
  const stubs = allowWrites || !writeStubs ? [] : allTools.filter((t) => t.access === "write");

  // Built once per tool, not per McpServer: HTTP mode builds a server for every request.
  const buildListing = (tool: ToolDefinition, write: boolean) => ({
    title: tool.title,
    description: tool.description,
    inputSchema: compactInputSchema(toolInputSchema(tool)),
    outputSchema: listedSchema(z.object({ ...(write ? writeOutputShape(tool.output) : tool.output), sandbox: sandboxField })),
    annotations: listedAnnotations(tool),
  });
  const listings = new Map<string, ReturnType<typeof buildListing>>();
  function listing(tool: ToolDefinition, write: boolean) {
    const entry = listings.get(tool.name) ?? buildListing(tool, write);
    listings.set(tool.name, entry);
    return entry;
  }

  function registerTool(server: McpServer, tool: ToolDefinition, connection: ConnectionOptions): void {
    const write = tool.access === "write";
    const listed = listing(tool, write);
    // A tool with an app goes through ext-apps' helper, which writes its _meta.ui (and the older
    // "ui/resourceUri" key some hosts still read); the result is the same for every client.
    const register = (handler: (args: Record<string, unknown>, ctx: ServerContext) => Promise<CallToolResult | InputRequiredResult>) =>
      tool.app ? registerAppTool(server, tool.name, { ...listed, _meta: { ui: tool.app } }, handler as never) : server.registerTool(tool.name, listed, handler);
    register(
      async (args: Record<string, unknown>, ctx: ServerContext): Promise<CallToolResult | InputRequiredResult> => {
        if (calls.draining) {
          return { isError: true, content: [{ type: "text", text: "billing-mcp is shutting down and takes no new calls; call again once it has restarted." }] };
        }
        const timeout = typeof args.timeout === "number" ? args.timeout : undefined;
        const timeoutMs = timeout ? timeout * 1000 : config.defaultTimeoutMs;
        const done = calls.start(timeoutMs);
        const context: ToolContext = {
          config,
          principal: connection.principal,
          viam,
          latitude,
          logger,
          signal: ctx.mcpReq.signal,
          timeoutMs,
          progress: progressReporter(ctx, logger),
          // Reads this context's own signal: the write gate runs a confirmed write with a copy
          // whose signal the client cannot abort.
          rpc(what) {
            return { what, timeoutMs: this.timeoutMs, signal: this.signal, retryable: tool.access === "read" };
          },
          orgs,
          orgId(given) {
            return orgs.resolve(given, this.timeoutMs, this.signal);
          },
          orgName(id) {
            return orgs.name(id, this.timeoutMs, this.signal);
          },
          organizations() {
            return orgs.list(this.timeoutMs, this.signal);
          },
          latitudeProject(given) {
            const project = given ?? config.defaultLatitudeProject;
            if (!project) throw new ToolError("project is required: pass project (a Latitude.sh project id or slug), or set LATITUDESH_PROJECT for a default.");
            return project;
          },
        };
        try {
          const run = () => (tool.access === "write" ? runWrite(server, tool, args, context, ctx, connection) : tool.run(args as never, context));
          const result = await (ctx.mcpReq.envelope === undefined ? run() : callSink.run(requestLogSink(ctx), run));
          if ("question" in result) {
            return inputRequired({ inputRequests: { [CONFIRM_KEY]: inputRequired.elicit({ mode: "form", message: result.question, requestedSchema: CONFIRM_FORM }) }, requestState: result.state });
          }
          const sandbox = result.sandbox ?? isSandbox(tool, config);
          return {
            structuredContent: { ...result.structured, sandbox },
            content: [{ type: "text", text: sandbox ? `${SANDBOX_NOTICE}\n${result.text}` : result.text }, ...(result.content ?? [])],
          };
        } catch (err) {
          return { isError: true, content: [{ type: "text", text: errorMessage(tool, err, logger) }] };
        } finally {
          done();
        }
      },
    );
  }

  /**
   * A write call through the gate, asking the person the way the request's generation allows:
   * a 2025-11-25 client that can show a form gets an elicitation request pushed within the
   * call; a 2026-07-28 one (its request carries the envelope) gets the question back as
   * input_required and answers it in the retried call; others get the preview and token flow.
   */
  function runWrite(server: McpServer, tool: ToolDefinition & { access: "write" }, args: Record<string, unknown>, context: ToolContext, ctx: ServerContext, connection: ConnectionOptions) {
    const envelope = ctx.mcpReq.envelope as Record<string, unknown> | undefined;
    if (envelope === undefined) {
      // A connection that cannot carry a server-pushed request (stateless HTTP) gets the preview and token flow.
      return connection.elicitation === false ? gate.handle(tool, args, context) : gate.handle(tool, args, context, elicitationAsker(server.server, { requestId: ctx.mcpReq.id, signal: ctx.mcpReq.signal }));
    }
    const capabilities = envelope[CLIENT_CAPABILITIES_KEY] as { elicitation?: { form?: object } } | undefined;
    // An empty elicitation capability means form mode (the 2025-06-18 shape).
    const elicitation = capabilities?.elicitation;
    if (!elicitation || (Object.keys(elicitation).length > 0 && !elicitation.form)) return gate.handle(tool, args, context);
    const responses = ctx.mcpReq.inputResponses;
    const view = responses && inputResponse(responses, CONFIRM_KEY);
    const ask: InBandAsk = responses ? { retry: { state: ctx.mcpReq.requestState<string>(), answer: view?.kind === "elicit" ? humanAnswer(view) : undefined } } : {};
    return gate.handle(tool, args, context, ask);
  }

  /** With writes off, a write tool is listed without arguments and a call to it is refused with how to enable it. */
  function registerStub(server: McpServer, tool: ToolDefinition, principal: Principal | undefined): void {
    server.registerTool(
      tool.name,
      {
        title: tool.title,
        description: `Disabled: ${writesDisabled()}.`,
        inputSchema: z.looseObject({}),
        annotations: listedAnnotations(tool),
      },
      async (args: Record<string, unknown>): Promise<CallToolResult> => {
        // Validated before it is logged: valid arguments are recorded as the tool reads them,
        // invalid ones only as the audit log bounds them, with the first problem named.
        const parsed = toolInputSchema(tool).safeParse(args ?? {});
        const { confirmation_token: _token, ...rest } = (parsed.success ? parsed.data : (args ?? {})) as Record<string, unknown>;
        const issue = parsed.success ? undefined : parsed.error.issues[0];
        const reason = issue ? `writes are disabled (and the arguments are invalid: ${issue.path.join(".") || "arguments"} ${issue.message})` : "writes are disabled";
        // Best effort: the refusal stands whether or not it can be recorded.
        const who = principal ? { subject: principal.subject, client_id: principal.clientId } : {};
        void audit.append({ tool: tool.name, arguments: rest, outcome: "refused", reason, ...who }).catch(() => undefined);
        return { isError: true, content: [{ type: "text", text: `${writesDisabled(tool.name)}.` }] };
      },
    );
  }

  return {
    unresolvedCharges: unresolved,
    writeState: state,
    createServer(connection: ConnectionOptions = {}) {
      const writes = allowWrites && connection.writes !== false;
      const server = new McpServer(
        { name: SERVER_NAME, version: SERVER_VERSION },
        { instructions: instructions(config, writes, unresolved), maxToolInputElements: MAX_TOOL_INPUT_ELEMENTS, capabilities: { logging: {} } },
      );
      const sink = mcpLogSink(server.server);
      clientSinks.add(sink);
      server.server.onclose = () => clientSinks.delete(sink);
      for (const tool of tools) if (tool.access === "read" || writes) registerTool(server, tool, connection);
      if (connection.writes !== false) for (const tool of stubs) registerStub(server, tool, connection.principal);
      // The resources are the PDF tool's other face (and point to it when too large): served with it.
      if (tools.some((t) => t.name === "viam_get_invoice_pdf")) registerInvoiceResources(server, { config, viam, logger });
      // The app's page, when a served tool declares it.
      if (tools.some((t) => t.app?.resourceUri === SPEND_APP_URI)) registerSpendApp(server);
      registerPrompts(server, config, new Set(tools.map((t) => t.name)));
      return server;
    },
    viam,
    latitude,
    get inFlight() {
      return calls.size;
    },
    drainDeadline: () => calls.drainDeadline(),
    drain: () => calls.drain(),
    close: async () => {
      orgs.close();
      await Promise.all([viam.close(), latitude.close(), state.close()]);
    },
  };
}

/** The key of the confirmation in an input_required result's inputRequests and its retry's inputResponses. */
const CONFIRM_KEY = "confirm";
/** Where a 2026-07-28 request's envelope declares the client's capabilities. */
const CLIENT_CAPABILITIES_KEY = "io.modelcontextprotocol/clientCapabilities";

/**
 * The log sink of one 2026-07-28 call. Such a client has no logging/setLevel: it names a level
 * in each request's envelope, and the SDK's ctx.mcpReq.log sends that request's messages at or
 * above it (nothing when it names none). 2025-11-25 clients get logs through the server's sink.
 */
function requestLogSink(ctx: ServerContext): LogSink {
  return (level: LogLevel, message: string) => {
    // Logging must never fail a call.
    ctx.mcpReq.log(level, redact(message), SERVER_NAME).catch(() => undefined);
  };
}

/** notifications/progress for the request, if its client sent a progressToken; else a no-op. */
function progressReporter(ctx: ServerContext, logger: Logger): ToolContext["progress"] {
  const progressToken = ctx.mcpReq._meta?.progressToken;
  if (progressToken === undefined) return async () => undefined;
  let last = { done: -1, total: undefined as number | undefined };
  return async (done, total, message) => {
    // The spec wants progress to increase; drop repeats rather than send them.
    if (done < last.done || (done === last.done && total === last.total)) return;
    last = { done, total };
    const params = { progressToken, progress: done, ...(total !== undefined && { total }), ...(message !== undefined && { message }) };
    await ctx.mcpReq.notify({ method: "notifications/progress", params }).catch((err: unknown) => {
      logger.log("debug", `progress notification not sent: ${err instanceof Error ? err.message : String(err)}`);
    });
  };
}

function isSandbox(tool: ToolDefinition, config: Config): boolean {
  const viam = config.viam.kind === "sandbox";
  const latitude = config.latitude.kind === "sandbox";
  return tool.provider === "viam" ? viam : tool.provider === "latitude" ? latitude : viam || latitude;
}

function errorMessage(tool: ToolDefinition, err: unknown, logger: Logger): string {
  if (err instanceof ToolError) return redact(err.message);
  // Unexpected: log the detail to stderr, give the model a short, safe message.
  const detail = err instanceof Error ? err.message : String(err);
  logger.log("error", `${tool.name} failed unexpectedly: ${detail}`);
  return redact(`${tool.name} failed: ${detail.split("\n")[0]}. This is a bug in billing-mcp if it persists.`);
}
