// Invoice PDFs as MCP resources: the template viam-invoice://{org_id}/{invoice_id} reads a PDF
// through the same GetInvoicePdf stream as viam_get_invoice_pdf, as a base64 blob, and stops
// streaming once it passes BILLING_MCP_RESOURCE_MAX_BYTES (larger PDFs are for the tool,
// which streams to disk). Listing offers the default organization's newest invoices.
import { Code } from "@connectrpc/connect";
import { ProtocolError, ProtocolErrorCode, ResourceNotFoundError, ResourceTemplate } from "@modelcontextprotocol/server";
import type { ListResourcesResult, McpServer, ReadResourceResult, Variables } from "@modelcontextprotocol/server";
import type { Config } from "../core/config.js";
import { redact, ToolError } from "../core/errors.js";
import { idField } from "./fields.js";
import { stableInvoiceFileName } from "../viam/invoice-download.js";
import type { Logger } from "../core/logger.js";
import { SANDBOX_NOTICE, usd } from "../billing/render.js";
import { SANDBOX_DEFAULT_ORG } from "./server-info.js";
import type { ViamConnection } from "../viam/connection.js";
import { invoicesNewestFirst } from "../viam/invoices.js";

export const INVOICE_URI_TEMPLATE = "viam-invoice://{org_id}/{invoice_id}";
/** How many of the default organization's newest invoices resources/list offers. */
export const LISTED_INVOICES = 12;

export const invoiceUri = (orgId: string, invoiceId: string) => `viam-invoice://${encodeURIComponent(orgId)}/${encodeURIComponent(invoiceId)}`;

interface Deps {
  config: Config;
  viam: ViamConnection;
  logger: Logger;
}

/** Thrown from the chunk callback to stop the stream: a ToolError, so ViamConnection passes it through. */
class OverCap extends ToolError {}

const mib = (bytes: number) => `${Number((bytes / 1048576).toFixed(2))} MiB`;

export function registerInvoiceResources(server: McpServer, deps: Deps): void {
  const { config } = deps;
  const sandbox = deps.viam.isSandbox;
  server.registerResource(
    "viam-invoice-pdf",
    new ResourceTemplate(INVOICE_URI_TEMPLATE, { list: (ctx) => listInvoices(deps, ctx.mcpReq.signal) }),
    {
      title: "Viam invoice PDF",
      description:
        `A Viam invoice's PDF (base64 blob), by organization and invoice id (from viam_get_invoices_summary). ` +
        `PDFs over ${config.resourceMaxBytes} bytes (${mib(config.resourceMaxBytes)}, BILLING_MCP_RESOURCE_MAX_BYTES) are not served here: save them with viam_get_invoice_pdf.` +
        (sandbox ? ` ${SANDBOX_NOTICE}` : ""),
      mimeType: "application/pdf",
    },
    (uri, variables, ctx) => readInvoice(deps, uri, variables, ctx.mcpReq.signal),
  );
}

/** The default org's newest invoices; in sandbox mode without VIAM_ORG_ID, the demo org-acme. */
async function listInvoices({ config, viam, logger }: Deps, signal: AbortSignal): Promise<ListResourcesResult> {
  const orgId = config.defaultOrgId ?? (viam.isSandbox ? SANDBOX_DEFAULT_ORG : undefined);
  if (!orgId) return { resources: [] };
  try {
    const summary = await viam.unary("getInvoicesSummary", { orgId }, { what: `invoices of org "${orgId}"`, timeoutMs: config.defaultTimeoutMs, signal, retryable: true });
    const note = viam.isSandbox ? " Sandbox data (demo), not real billing." : "";
    return {
      resources: invoicesNewestFirst(summary)
        .slice(0, LISTED_INVOICES)
        .map((inv) => {
          const date = inv.invoice_date ?? "undated";
          return {
            uri: invoiceUri(orgId, inv.id),
            name: stableInvoiceFileName(orgId, inv.id),
            title: `Viam invoice ${date}, ${usd(inv.amount)}, ${inv.status}`,
            description: `PDF of Viam invoice ${inv.id} of org ${orgId}, dated ${date}: ${usd(inv.amount)}, status ${inv.status}.${note}`,
            mimeType: "application/pdf",
          };
        }),
    };
  } catch (err) {
    // One failing upstream call must not break resources/list for the client as a whole.
    logger.log("warning", `listing invoice resources of org ${orgId} failed: ${err instanceof Error ? err.message : String(err)}`);
    return { resources: [] };
  }
}

function variable(variables: Variables, name: string): string {
  const raw = variables[name];
  let value: string;
  try {
    value = decodeURIComponent(Array.isArray(raw) ? raw.join(",") : (raw ?? ""));
  } catch {
    throw new ProtocolError(ProtocolErrorCode.InvalidParams, `${name} in the resource URI is not valid percent-encoding.`);
  }
  const parsed = idField(name).safeParse(value);
  if (!parsed.success) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `${name} in the resource URI ${parsed.error.issues[0]?.message ?? "is invalid"}.`);
  return parsed.data;
}

async function readInvoice({ config, viam }: Deps, uri: URL, variables: Variables, signal: AbortSignal): Promise<ReadResourceResult> {
  const orgId = variable(variables, "org_id");
  const invoiceId = variable(variables, "invoice_id");
  const cap = config.resourceMaxBytes;
  const meta = viam.isSandbox ? { _meta: { sandbox: true } } : {};
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  try {
    await viam.streamInvoicePdf(
      { id: invoiceId, orgId },
      { what: `PDF of invoice "${invoiceId}" of org "${orgId}"`, timeoutMs: config.defaultTimeoutMs, signal, retryable: false },
      (chunk) => {
        bytes += chunk.byteLength;
        if (bytes > cap) throw new OverCap("over the resource size cap");
        // A copy: the chunk is borrowed, a view into the transport's reused buffer.
        chunks.push(new Uint8Array(chunk));
      },
    );
  } catch (err) {
    if (err instanceof OverCap) {
      const text =
        `Invoice ${invoiceId} (org ${orgId}) is larger than the resource size cap of ${cap} bytes (${mib(cap)}, BILLING_MCP_RESOURCE_MAX_BYTES), so it is not returned here. ` +
        `Save it with the viam_get_invoice_pdf tool (invoice_id "${invoiceId}", org_id "${orgId}"), which streams it to the download directory.`;
      return { contents: [{ uri: uri.href, mimeType: "text/plain", text: viam.isSandbox ? `${SANDBOX_NOTICE}\n${text}` : text, ...meta }] };
    }
    throw asProtocolError(err, uri);
  }
  return { contents: [{ uri: uri.href, mimeType: "application/pdf", blob: Buffer.concat(chunks).toString("base64"), ...meta }] };
}

function asProtocolError(err: unknown, uri: URL): ProtocolError {
  if (err instanceof ProtocolError) return err;
  if (err instanceof ToolError) {
    // Resource not found: -32602 with the URI in its data, as the 2026-07-28 specification has it (the SDK sends it so to every client).
    if (err.code === Code.NotFound) return new ResourceNotFoundError(uri.href, redact(err.message));
    return new ProtocolError(err.code === Code.InvalidArgument ? ProtocolErrorCode.InvalidParams : ProtocolErrorCode.InternalError, redact(err.message));
  }
  return new ProtocolError(ProtocolErrorCode.InternalError, redact(`Reading the invoice failed: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`));
}
