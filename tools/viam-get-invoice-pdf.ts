import { pathToFileURL } from "node:url";
import { z } from "zod";
import { boundedText, idField, orgIdField } from "../src/mcp/fields.js";
import { resolveDestination, stableInvoiceFileName, writeAtomically } from "../src/viam/invoice-download.js";
import { defineTool, READ_ONLY } from "../src/mcp/tool-definition.js";

const PROGRESS_STEP_BYTES = 1024 * 1024;

export default defineTool({
  name: "viam_get_invoice_pdf",
  title: "Save a Viam invoice PDF",
  description:
    "Saves an invoice's PDF in the download directory (BILLING_MCP_DOWNLOAD_DIR); returns path, bytes, SHA-256.",
  access: "read",
  provider: "viam",
  // Reads from Viam; writes only a new local file inside the download directory.
  annotations: READ_ONLY,
  input: {
    invoice_id: idField("Invoice id, from viam_get_invoices_summary."),
    org_id: orgIdField,
    dest: boundedText(1024)
      .optional()
      .describe("A .pdf path inside the download directory. Default: invoice-<org>-<id>.pdf."),
    overwrite: z.boolean().optional().describe("Replace an existing dest (default false)."),
  },
  output: {
    invoice_id: z.string(),
    org_id: z.string(),
    path: z.string(),
    bytes: z.number().int(),
    sha256: z.string(),
  },
  async run({ invoice_id, org_id, dest, overwrite = false }, ctx) {
    const orgId = await ctx.orgId(org_id);
    const target = await resolveDestination(ctx.config.downloadDir, dest ?? stableInvoiceFileName(orgId, invoice_id), overwrite);
    // The stream does not announce its size: report bytes so far, at most once per MiB.
    let received = 0;
    let reported = 0;
    const saved = await writeAtomically(target, overwrite, (write) =>
      ctx.viam.streamInvoicePdf(
        { id: invoice_id, orgId },
        ctx.rpc(`PDF of invoice "${invoice_id}" of org "${orgId}"`),
        async (chunk) => {
          await write(chunk);
          received += chunk.byteLength;
          if (received - reported >= PROGRESS_STEP_BYTES) {
            reported = received;
            await ctx.progress(received, undefined, `${received} bytes of invoice ${invoice_id} received`);
          }
        },
      ),
    );
    await ctx.progress(saved.bytes, saved.bytes, `invoice ${invoice_id} saved`);
    return {
      structured: { invoice_id, org_id: orgId, ...saved },
      text: `Saved invoice ${invoice_id} (org ${orgId}) to ${saved.path}: ${saved.bytes} bytes, sha256 ${saved.sha256}`,
      content: dest
        ? []
        : [{ type: "resource_link", uri: pathToFileURL(saved.path).href, name: stableInvoiceFileName(orgId, invoice_id), mimeType: "application/pdf", size: saved.bytes }],
    };
  },
});
