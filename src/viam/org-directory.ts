// The organizations the Viam API key can see (AppService/ListOrganizations), with their
// names: listed once per server process and shared by every tool (ToolContext.orgId,
// orgName, organizations). Concurrent first callers share one RPC; a failure is not kept,
// so the next call lists again.
import { Code } from "@connectrpc/connect";
import type { Config } from "../core/config.js";
import { describeViamFailure, ToolError } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import { SANDBOX_DEFAULT_ORG } from "../mcp/server-info.js";
import type { ListedOrganization, ViamConnection } from "./connection.js";
import { waitFor } from "./connection.js";

export type Organization = ListedOrganization;

/** The default org and where it comes from; null when a call must name one. */
export interface DefaultOrg {
  id: string;
  source: "VIAM_ORG_ID" | "sandbox" | "only organization";
}

const LISTING = "the list of organizations this API key can see";
/** At most this many orgs are named in an error; the list tool shows the rest. */
const ORGS_IN_ERROR = 20;

/** "Acme Robotics (org-acme)", or the id alone when the name is unknown. */
export function orgLabel(id: string, name: string | null | undefined): string {
  return name ? `${name} (${id})` : id;
}

export class OrgDirectory {
  private pending: Promise<Organization[]> | undefined;
  /** Aborted on close: ends a listing still under way. */
  private readonly closing = new AbortController();

  constructor(
    private readonly viam: ViamConnection,
    private readonly config: Config,
    private readonly logger: Logger,
  ) {}

  /**
   * The listing, waited for within the caller's deadline and signal. The shared RPC itself
   * runs on its own budget (at least the default deadline), so a caller with a short deadline
   * or one that cancels does not fail the others.
   */
  async list(timeoutMs: number, signal?: AbortSignal): Promise<Organization[]> {
    if (!this.pending) {
      const pending = this.viam.listOrganizations({
        what: LISTING,
        timeoutMs: Math.max(timeoutMs, this.config.defaultTimeoutMs),
        signal: this.closing.signal,
        retryable: true,
      });
      this.pending = pending;
      pending.then(
        (orgs) => this.logger.log("debug", `the API key sees ${orgs.length} Viam organization${orgs.length === 1 ? "" : "s"}`),
        () => {
          if (this.pending === pending) this.pending = undefined;
        },
      );
    }
    try {
      return await waitFor(this.pending, timeoutMs, signal);
    } catch (err) {
      throw describeViamFailure(err, LISTING, timeoutMs);
    }
  }

  /** The org's name, or null when it is unknown or the listing failed; never rejects. */
  async name(id: string, timeoutMs: number, signal?: AbortSignal): Promise<string | null> {
    try {
      return (await this.list(timeoutMs, signal)).find((o) => o.id === id)?.name || null;
    } catch (err) {
      this.logger.log("debug", `no name for org ${id}: ${err instanceof Error ? err.message : String(err)}`);
      return null;
    }
  }

  /** VIAM_ORG_ID, else the embedded sandbox's default; these need no listing. */
  configuredDefault(): DefaultOrg | null {
    if (this.config.defaultOrgId) return { id: this.config.defaultOrgId, source: "VIAM_ORG_ID" };
    if (this.config.viam.kind === "sandbox") return { id: SANDBOX_DEFAULT_ORG, source: "sandbox" };
    return null;
  }

  /** The default org: configuredDefault(), else the key's only org, else null. */
  defaultOrg(orgs: readonly Organization[]): DefaultOrg | null {
    const configured = this.configuredDefault();
    if (configured) return configured;
    return orgs.length === 1 ? { id: orgs[0]!.id, source: "only organization" } : null;
  }

  /** The org a call is about: `given`, else the default; otherwise a tool error listing the orgs and how to choose. */
  async resolve(given: string | undefined, timeoutMs: number, signal?: AbortSignal): Promise<string> {
    if (given) return given;
    const configured = this.configuredDefault();
    if (configured) return configured.id;
    const howTo = "pass org_id, or set VIAM_ORG_ID for a default organization";
    let orgs: Organization[];
    try {
      orgs = await this.list(timeoutMs, signal);
    } catch (err) {
      if (err instanceof ToolError && err.code === Code.Canceled) throw err;
      throw new ToolError(`org_id is required: ${howTo}. (The organizations this API key can see could not be listed: ${err instanceof Error ? err.message : String(err)})`);
    }
    const only = this.defaultOrg(orgs);
    if (only) return only.id;
    if (orgs.length === 0) throw new ToolError(`org_id is required: this API key sees no organizations; ${howTo}.`);
    const named = orgs.slice(0, ORGS_IN_ERROR).map((o) => orgLabel(o.id, o.name));
    const more = orgs.length > named.length ? ` and ${orgs.length - named.length} more (viam_list_organizations lists them all)` : "";
    throw new ToolError(`org_id is required: this API key sees ${orgs.length} organizations: ${named.join(", ")}${more}. Choose one and ${howTo}.`);
  }

  close(): void {
    this.closing.abort();
  }
}
