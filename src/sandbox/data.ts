// The sandbox's demo data: several organizations with varied, internally consistent billing.
// Built relative to "now" so the current month is always the current month. Tests assert
// against these exports and helpers, not against copied numbers.
import { invoicePdfParts, pdfBytes, pdfSize } from "./pdf.js";
import type { PdfParts } from "./pdf.js";

export interface SandboxUsageCost { resourceType: number; cost: number }
export interface SandboxSource { sourceType: number; tierName: string; costs: SandboxUsageCost[]; discount: number }
export interface SandboxInvoice {
  id: string;
  date: Date;
  amount: number;
  status: string;
  dueDate: Date;
  paidDate?: Date;
  failureReason?: string;
  failureAt?: Date;
  /** Extra bytes in the PDF, for large-invoice tests. */
  pdfPadding?: number;
  /** Set on invoices created by ChargeOrganization / CreateInvoiceAndChargeImmediately. */
  description?: string;
  subtotal?: number;
  tax?: number;
  brandingOrgId?: string;
  emailSent?: boolean;
}
export interface SandboxOrg {
  id: string;
  name: string;
  /** The sandbox key may not read it: PermissionDenied. */
  restricted?: boolean;
  billingEmail: string;
  tier?: string;
  payment:
    | { type: 0 }
    | { type: 1; brand: string; lastFour: string }
    | { type: 2; bankName: string; lastFour: string; routingNumber: string; accountType: string; verification?: { arrivalDate: Date; url: string } };
  sources: SandboxSource[];
  invoices: SandboxInvoice[];
}
export interface SandboxState {
  orgs: Map<string, SandboxOrg>;
  /** location id -> billing organization id */
  locations: Map<string, string>;
  tiers: string[];
  emails: { customerOrgId: string; billingOwnerOrgId: string; at: Date }[];
  nextInvoiceNumber: number;
}

export const ORG = {
  acme: "org-acme",
  fieldworks: "org-fieldworks",
  orbital: "org-orbital",
  fleet: "org-fleet",
  restricted: "org-restricted",
  empty: "org-empty",
} as const;
export const LOCATIONS = { warehouse: "loc-warehouse", field: "loc-field-1", lab: "loc-orbital-lab" } as const;
export const TIERS = ["free", "pro", "business", "enterprise"];
export const LARGE_INVOICE_ID = "inv_acme_archive_large";
export const LARGE_INVOICE_PADDING = 48 * 1024 * 1024;
export const FLEET_INVOICE_COUNT = 360;
/** 12 monthly invoices plus the large archive one. */
export const ACME_INVOICE_COUNT = 13;
/** Enum numbers this client does not know, sent by org-orbital's "newer server". */
export const UNKNOWN_USAGE_COST_TYPE = 99;
export const UNKNOWN_SOURCE_TYPE = 7;
export const PREMIUM_MODULE = 27;

// UsageCostType numbers (see src/viam-proto.ts).
const T = {
  remoteControl: 3, standardCompute: 4, binaryStorage: 6, perMachine: 8, trigger: 9, tabularStorage: 10,
  logsStorage: 12, binaryUpload: 15, logsEgress: 20, dbCompute: 23, premiumModule: PREMIUM_MODULE, fromTheFuture: UNKNOWN_USAGE_COST_TYPE,
} as const;
const SOURCE = { org: 1, fragment: 2 } as const;

const round = (n: number) => Math.round(n * 100) / 100;
const DAY = 86_400_000;

export function currentPeriodOf(now: Date): { start: Date; end: Date } {
  const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const end = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
  return { start, end };
}

const monthStart = (now: Date, monthsAgo: number) => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - monthsAgo, 1));

/** Monthly invoices, newest first: i=0 is last month's. */
function monthlyInvoices(prefix: string, now: Date, count: number, amountFor: (i: number) => number): SandboxInvoice[] {
  return Array.from({ length: count }, (_, i) => {
    const date = monthStart(now, i);
    return { id: `inv_${prefix}_${date.toISOString().slice(0, 7).replace("-", "")}`, date, amount: round(amountFor(i)), status: "paid", dueDate: new Date(date.getTime() + 15 * DAY), paidDate: new Date(date.getTime() + 3 * DAY) };
  });
}

export function sourceTotals(source: SandboxSource) {
  const without = round(source.costs.reduce((s, c) => s + c.cost, 0));
  return { totalWithoutDiscount: without, discount: source.discount, totalWithDiscount: round(without - source.discount) };
}
export function orgSubtotal(org: SandboxOrg): number {
  return round(org.sources.reduce((s, src) => s + sourceTotals(src).totalWithDiscount, 0));
}
/** The deprecated flat figures of GetCurrentMonthUsageResponse, derived from the sources. */
export function legacyUsage(org: SandboxOrg) {
  const costs = org.sources.flatMap((s) => s.costs);
  const sum = (types: readonly number[]) => round(costs.filter((c) => types.includes(c.resourceType)).reduce((s, c) => s + c.cost, 0));
  // Every *_CLOUD_STORAGE type; "other" is all storage that is not binary data.
  const storage = [5, 6, 7, 10, 11, 12, 13, 14, 22, 25];
  return {
    cloudStorageUsageCost: sum(storage),
    binaryDataCloudStorageUsageCost: sum([6]),
    otherCloudStorageUsageCost: sum(storage.filter((t) => t !== 6)),
    dataUploadUsageCost: sum([1, 15, 16, 17]),
    dataEgresUsageCost: sum([2, 18, 19, 20, 21, 24]),
    remoteControlUsageCost: sum([3]),
    standardComputeUsageCost: sum([4]),
    perMachineUsageCost: sum([8]),
    discountAmount: round(org.sources.reduce((s, src) => s + src.discount, 0)),
    totalUsageWithoutDiscount: round(org.sources.reduce((s, src) => s + sourceTotals(src).totalWithoutDiscount, 0)),
    totalUsageWithDiscount: orgSubtotal(org),
  };
}
export function outstandingBalance(org: SandboxOrg): number {
  return round(org.invoices.filter((i) => i.status !== "paid").reduce((s, i) => s + i.amount, 0));
}

export function createSandboxState(now: Date): SandboxState {
  const acmeInvoices = monthlyInvoices("acme", now, 12, (i) => 412.37 + ((i * 37.91) % 140));
  // The newest is still outstanding; one a few months ago failed on a declined card.
  Object.assign(acmeInvoices[0]!, { status: "outstanding", paidDate: undefined, dueDate: new Date(now.getTime() + 10 * DAY) });
  Object.assign(acmeInvoices[3]!, {
    status: "payment_failed",
    paidDate: undefined,
    failureReason: "card_declined",
    failureAt: new Date(acmeInvoices[3]!.date.getTime() + 16 * DAY + 3_600_000),
  });
  acmeInvoices.push({ id: LARGE_INVOICE_ID, date: monthStart(now, 13), amount: 1980.4, status: "paid", dueDate: monthStart(now, 12), paidDate: monthStart(now, 12), pdfPadding: LARGE_INVOICE_PADDING });

  const fieldInvoices = monthlyInvoices("fieldworks", now, 6, (i) => 96.5 + i * 11.25);
  Object.assign(fieldInvoices[0]!, {
    status: "payment_failed",
    paidDate: undefined,
    failureReason: "insufficient_funds",
    failureAt: new Date(fieldInvoices[0]!.date.getTime() + 2 * DAY),
  });

  const orbitalInvoices = monthlyInvoices("orbital", now, 3, (i) => 1210 - i * 45.5);
  Object.assign(orbitalInvoices[0]!, {
    status: "in_review",
    paidDate: undefined,
    failureReason: "bank_account_restricted",
    failureAt: new Date(orbitalInvoices[0]!.date.getTime() + DAY),
  });

  // A reseller org that bills its customers: hundreds of small invoices, weekly over years.
  const failureReasons = ["card_declined", "expired_card", "authentication_required", "processing_error"];
  const fleetInvoices: SandboxInvoice[] = Array.from({ length: FLEET_INVOICE_COUNT }, (_, i) => {
    const date = new Date(monthStart(now, 0).getTime() - (i + 1) * 7 * DAY);
    const amount = round(25 + ((i * 17.37) % 300));
    const base = { id: `inv_fleet_${String(FLEET_INVOICE_COUNT - i).padStart(4, "0")}`, date, amount, dueDate: new Date(date.getTime() + 14 * DAY) };
    if (i % 29 === 5) return { ...base, status: "payment_failed", failureReason: failureReasons[i % failureReasons.length], failureAt: new Date(date.getTime() + 15 * DAY) };
    if (i < 4 || i % 41 === 7) return { ...base, status: "outstanding" };
    return { ...base, status: "paid", paidDate: new Date(date.getTime() + 2 * DAY) };
  });

  const orgs: SandboxOrg[] = [
    {
      id: ORG.acme,
      name: "Acme Robotics",
      billingEmail: "billing@acme-robotics.example",
      tier: "pro",
      payment: { type: 1, brand: "visa", lastFour: "4242" },
      sources: [
        {
          sourceType: SOURCE.org,
          tierName: "pro",
          discount: 12.5,
          costs: [
            { resourceType: T.remoteControl, cost: 18.4 },
            { resourceType: T.standardCompute, cost: 142.75 },
            { resourceType: T.binaryStorage, cost: 63.12 },
            { resourceType: T.tabularStorage, cost: 8.9 },
            { resourceType: T.logsStorage, cost: 4.33 },
            { resourceType: T.logsEgress, cost: 2.05 },
            { resourceType: T.trigger, cost: 0 },
          ],
        },
        { sourceType: SOURCE.fragment, tierName: "fleet-arm-v2", discount: 0, costs: [{ resourceType: T.perMachine, cost: 120 }, { resourceType: T.binaryUpload, cost: 9.6 }] },
        { sourceType: SOURCE.fragment, tierName: "camera-kit", discount: 5, costs: [{ resourceType: T.perMachine, cost: 45 }, { resourceType: T.dbCompute, cost: 11.48 }] },
      ],
      invoices: acmeInvoices,
    },
    {
      id: ORG.fieldworks,
      name: "Fieldworks Inc",
      billingEmail: "ap@fieldworks.example",
      payment: {
        type: 2,
        bankName: "First Prairie Bank",
        lastFour: "6789",
        routingNumber: "110000000",
        accountType: "checking",
        verification: { arrivalDate: new Date(now.getTime() + 2 * DAY), url: "https://payments.example/verify/fieldworks" },
      },
      sources: [{ sourceType: SOURCE.org, tierName: "free", discount: 0, costs: [{ resourceType: T.remoteControl, cost: 3.2 }, { resourceType: T.perMachine, cost: 30 }] }],
      invoices: fieldInvoices,
    },
    {
      id: ORG.orbital,
      name: "Orbital Labs",
      billingEmail: "finance@orbital.example",
      tier: "enterprise",
      payment: { type: 1, brand: "amex", lastFour: "0005" },
      sources: [
        { sourceType: SOURCE.org, tierName: "enterprise", discount: 100, costs: [{ resourceType: T.premiumModule, cost: 250 }, { resourceType: T.fromTheFuture, cost: 77.77 }, { resourceType: T.standardCompute, cost: 400 }] },
        { sourceType: UNKNOWN_SOURCE_TYPE, tierName: "partner-bundle", discount: 0, costs: [{ resourceType: T.perMachine, cost: 60 }] },
      ],
      invoices: orbitalInvoices,
    },
    {
      id: ORG.fleet,
      name: "Fleet Ops",
      billingEmail: "billing@fleetops.example",
      tier: "business",
      payment: { type: 1, brand: "mastercard", lastFour: "4444" },
      sources: [{ sourceType: SOURCE.org, tierName: "business", discount: 0, costs: [{ resourceType: T.perMachine, cost: 900 }] }],
      invoices: fleetInvoices,
    },
    { id: ORG.restricted, name: "Someone Else's Org", restricted: true, billingEmail: "x@restricted.example", payment: { type: 0 }, sources: [], invoices: [] },
    { id: ORG.empty, name: "New Co", billingEmail: "", payment: { type: 0 }, sources: [], invoices: [] },
  ];

  return {
    orgs: new Map(orgs.map((o) => [o.id, o])),
    locations: new Map<string, string>([
      [LOCATIONS.warehouse, ORG.acme],
      [LOCATIONS.field, ORG.fieldworks],
      [LOCATIONS.lab, ORG.orbital],
    ]),
    tiers: [...TIERS],
    emails: [],
    nextInvoiceNumber: 1,
  };
}

/** The text lines of an invoice's PDF. */
export function invoicePdfLines(org: SandboxOrg, invoice: SandboxInvoice): string[] {
  return [
    "Viam, Inc. - INVOICE (sandbox)",
    `Bill to: ${org.name} (${org.id})`,
    `Invoice: ${invoice.id}`,
    `Date: ${invoice.date.toISOString().slice(0, 10)}`,
    `Amount due: ${invoice.amount.toFixed(2)} USD`,
    `Status: ${invoice.status}`,
  ];
}

/** An invoice's PDF as parts; the bytes are produced by pdfChunks(). */
export const invoicePdf = (org: SandboxOrg, invoice: SandboxInvoice): PdfParts =>
  invoicePdfParts(invoicePdfLines(org, invoice), invoice.pdfPadding ?? 0);
/** The exact bytes the sandbox streams for a (small) invoice, to compare byte for byte. */
export const expectedInvoicePdf = (org: SandboxOrg, invoice: SandboxInvoice): Uint8Array => pdfBytes(invoicePdf(org, invoice));
export const invoicePdfSize = (org: SandboxOrg, invoice: SandboxInvoice): number => pdfSize(invoicePdf(org, invoice));

/** Size in bytes of LARGE_INVOICE_ID's PDF (about 48 MiB); its text lines have a fixed length. */
export const LARGE_INVOICE_PDF_SIZE = (() => {
  // Any date will do: the PDF's text lines have a fixed length.
  const acme = createSandboxState(new Date(0)).orgs.get(ORG.acme)!;
  return invoicePdfSize(acme, acme.invoices.find((i) => i.id === LARGE_INVOICE_ID)!);
})();
