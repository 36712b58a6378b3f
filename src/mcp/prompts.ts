// MCP prompts a user picks in the client: canned billing tasks that tell the model which
// tools to call and what to report. One list; a prompt is offered only when every tool it
// names is served (see --tools), so it never sends the model after a missing tool.
import type { McpServer } from "@modelcontextprotocol/server";
import { z } from "zod";
import type { Config } from "../core/config.js";
import { dateOnly } from "../billing/render.js";

export interface PromptContext {
  /** ISO date the prompt is rendered on: the model needs it to project and to age invoices. */
  today: string;
  defaultOrgId: string | undefined;
}

export interface PromptDefinition<Args extends z.ZodRawShape = z.ZodRawShape> {
  name: string;
  title: string;
  description: string;
  /** Prompt arguments are strings on the wire; validate their form here. */
  args: Args;
  /** Every tool the rendered text tells the model to call. */
  tools: readonly string[];
  render(args: z.infer<z.ZodObject<Args>>, ctx: PromptContext): string;
}

const definePrompt = <Args extends z.ZodRawShape>(p: PromptDefinition<Args>) => p;

// zod 4 keeps a description on the instance it is given to: describe last, after .optional().
const orgArg = z.string().trim().min(1).max(128).regex(/^[^\u0000-\u001f\u007f]+$/, "must not contain control characters");

/** How the text tells the model which organization to pass. */
function orgInstruction(orgId: string | undefined, ctx: PromptContext): string {
  if (orgId) return `Pass org_id "${orgId}" to the viam_ tools and org_ids ["${orgId}"] to billing_spend_overview.`;
  if (ctx.defaultOrgId) return `Pass org_id "${ctx.defaultOrgId}" (the server's default organization) to the viam_ tools and org_ids ["${ctx.defaultOrgId}"] to billing_spend_overview.`;
  return "No organization was given and the server has no default (VIAM_ORG_ID): ask the user for the Viam organization id first, then pass it as org_id to the viam_ tools and in org_ids to billing_spend_overview.";
}

const monthlyBillingReview = definePrompt({
  name: "monthly_billing_review",
  title: "Monthly billing review",
  description:
    "Review an organization's Viam billing this month: usage so far and a projection for the month, invoices, failed payments, and what changed since last month.",
  args: { org_id: orgArg.optional().describe("Viam organization id. Omit to use the server's default (VIAM_ORG_ID).") },
  tools: ["billing_spend_overview", "viam_get_current_month_usage", "viam_get_invoices_summary", "viam_get_org_billing_information"],
  render({ org_id }, ctx) {
    const org = org_id ?? ctx.defaultOrgId ?? "(to be asked)";
    return [
      `Monthly Viam billing review for organization ${org}. Today is ${ctx.today}.`,
      "",
      `Call these tools, for this organization only. ${orgInstruction(org_id, ctx)}`,
      "1. billing_spend_overview with latitude_projects [] (this review is about the Viam organization alone): month-to-date spend, the projected period total with its range and basis, the previous period's total and the change against it, outstanding balance, failed payments.",
      "2. viam_get_current_month_usage: the month-to-date breakdown by source (the org and each fragment, with its tier) and by resource type, with discounts.",
      "3. viam_get_invoices_summary: the invoices, newest first, with due dates, days overdue and payment failure reasons.",
      "4. viam_get_org_billing_information: payment method and its verification state, billing email, tier.",
      "",
      "Then report, with the exact USD figures the tools return:",
      "- Usage: the month-to-date subtotal and the three largest cost lines.",
      "- Projection: projected_month_end with its range (projected_low to projected_high), and in one line how it is made (projection_method); if the answer says no projection yet, say that instead of estimating one.",
      "- Invoices: the outstanding balance, and every invoice not paid with its amount, due date and days overdue.",
      "- Failed payments: each with its reason and when it failed, and whether the payment method's state explains it (for example an unverified bank account).",
      "- Against last period: previous_period_total and projected_change_percent. The tools give earlier periods' totals, not their breakdown by resource: do not compare line by line.",
      "If an answer says it is sandbox (demo) data, say so at the top of the review.",
    ].join("\n");
  },
});

const unpaidInvoicesFollowUp = definePrompt({
  name: "unpaid_invoices_follow_up",
  title: "Follow up on unpaid invoices",
  description:
    "Find an organization's unpaid Viam invoices (optionally only those overdue by some days), explain failed payments, and draft a follow-up message. Reads only; sends nothing.",
  args: {
    org_id: orgArg.describe("Viam organization id whose unpaid invoices to follow up."),
    days_overdue: z
      .string()
      .trim()
      .regex(/^\d{1,4}$/, "must be a whole number of days, e.g. 30")
      .optional()
      .describe("Only invoices at least this many days past their due date (a whole number). Omit for every unpaid invoice."),
  },
  tools: ["viam_get_invoices_summary", "viam_get_org_billing_information"],
  render({ org_id, days_overdue }, ctx) {
    const days = days_overdue === undefined ? undefined : Number(days_overdue);
    const cutoff = days === undefined ? undefined : new Date(Date.parse(ctx.today) - days * 86_400_000).toISOString().slice(0, 10);
    const which =
      cutoff === undefined
        ? "Keep every invoice it returns (all are unpaid), and note which are past their due_date."
        : `Keep only the invoices overdue by at least ${days} days: due_date on or before ${cutoff}. Mention how many unpaid invoices that leaves out.`;
    return [
      `Follow up on the unpaid Viam invoices of organization ${org_id}. Today is ${ctx.today}.`,
      "",
      `1. Call viam_get_invoices_summary with org_id "${org_id}" and status "unpaid". If it says older matching invoices are not shown, call it again with a larger limit.`,
      `2. ${which}`,
      `3. Call viam_get_org_billing_information with org_id "${org_id}": payment method, its verification state, billing email.`,
      "",
      "Then report, with the exact USD figures the tools return:",
      "- Each invoice: id, amount, due date, days overdue, last payment failure reason and when it failed.",
      "- The total owed across them.",
      "- The likely cause of failed payments, from the failure reasons and the payment method.",
      "- A short, polite follow-up message to the billing email naming the invoices, amounts and due dates, and what to fix.",
      "This is a draft for a human: do not send anything and do not change billing.",
      "If an answer says it is sandbox (demo) data, say so.",
    ].join("\n");
  },
});

// Each definition keeps its own argument types; the list only needs the common shape.
export const allPrompts: readonly PromptDefinition[] = [monthlyBillingReview, unpaidInvoicesFollowUp].map((p) => p as object as PromptDefinition);

export function registerPrompts(server: McpServer, config: Config, servedTools: ReadonlySet<string>, prompts = allPrompts): void {
  for (const prompt of prompts) {
    if (!prompt.tools.every((name) => servedTools.has(name))) continue;
    server.registerPrompt(prompt.name, { title: prompt.title, description: prompt.description, argsSchema: z.object(prompt.args) }, (args) => {
      const ctx: PromptContext = { today: dateOnly(config.clock()), defaultOrgId: config.defaultOrgId };
      return {
        description: prompt.description,
        messages: [{ role: "user", content: { type: "text", text: prompt.render(args as never, ctx) } }],
      };
    });
  }
}
