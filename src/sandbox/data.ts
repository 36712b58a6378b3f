// The sandbox's demo data: several organizations with varied, internally consistent billing.
// Built relative to "now" so the current month is always the current month: usage accrues
// over the period (each cost is a monthly rate times the elapsed share, see accrueUsage), past
// invoices are that monthly rate give or take a few percent, and no event is dated after
// "now". Tests assert against these exports and helpers, not against copied numbers.
import { invoicePdfParts, pdfBytes, pdfSize } from "./pdf.js";
import type { PdfParts } from "./pdf.js";
import { proto3 } from "@bufbuild/protobuf";
import { SourceType, UsageCostType } from "../viam/proto.js";

export interface SandboxUsageCost {
  resourceType: number;
  /** Month-to-date, as last accrued (accrueUsage). */
  cost: number;
  /** What a whole month costs at this rate. */
  monthly: number;
}
export interface SandboxSource {
  sourceType: number;
  tierName: string;
  costs: SandboxUsageCost[];
  /** Month-to-date, as last accrued. */
  discount: number;
  monthlyDiscount: number;
}
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
/** The newest UsageCostType (API v0.1.564), newer than the npm SDK's bundled API. */
export const PREMIUM_MODULE: number = UsageCostType.PREMIUM_MODULE;

const T = {
  remoteControl: UsageCostType.REMOTE_CONTROL, standardCompute: UsageCostType.STANDARD_COMPUTE, binaryStorage: UsageCostType.BINARY_DATA_CLOUD_STORAGE,
  perMachine: UsageCostType.PER_MACHINE, trigger: UsageCostType.TRIGGER_NOTIFICATION, tabularStorage: UsageCostType.TABULAR_DATA_CLOUD_STORAGE,
  logsStorage: UsageCostType.LOGS_CLOUD_STORAGE, binaryUpload: UsageCostType.BINARY_DATA_UPLOAD, logsEgress: UsageCostType.LOGS_EGRESS,
  dbCompute: UsageCostType.TABULAR_DATA_DATABASE_COMPUTE, premiumModule: PREMIUM_MODULE, fromTheFuture: UNKNOWN_USAGE_COST_TYPE,
} as const;
const SOURCE = { org: SourceType.ORG, fragment: SourceType.FRAGMENT } as const;

const round = (n: number) => Math.round(n * 100) / 100;
const DAY = 86_400_000;

export function currentPeriodOf(now: Date): { start: Date; end: Date } {
  const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const end = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
  return { start, end };
}

/**
 * The share (0-1) of the current calendar month elapsed at `now`, in whole minutes, so a test
 * reading the same minute as the sandbox computes the same cents.
 */
export function elapsedShareOf(now: Date): number {
  const { start, end } = currentPeriodOf(now);
  return (Math.floor((now.getTime() - start.getTime()) / 60_000) * 60_000) / (end.getTime() - start.getTime());
}

/** Sets every cost and discount to its monthly rate times the share of the month elapsed at `now`. */
export function accrueUsage(org: SandboxOrg, now: Date): void {
  const share = elapsedShareOf(now);
  for (const source of org.sources) {
    for (const c of source.costs) c.cost = round(c.monthly * share);
    source.discount = round(source.monthlyDiscount * share);
  }
}

/** A whole month's net usage at the org's rates: what its monthly invoices are made of. */
export function monthlyNet(sources: readonly SandboxSource[]): number {
  return round(sources.reduce((sum, s) => sum + s.costs.reduce((a, c) => a + c.monthly, 0) - s.monthlyDiscount, 0));
}

/** A few percent either way (-8% to +10%), deterministic per invoice, so history is steady but not flat. */
const wobble = (i: number) => 1 + (((i * 37) % 19) - 8) / 100;

const monthStart = (now: Date, monthsAgo: number) => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - monthsAgo, 1));

/**
 * `offsetMs` after `date`, but never after `now`: an invoice issued minutes ago (on the 1st)
 * has had its payment fail, or be paid, within those minutes.
 */
function eventAfter(date: Date, offsetMs: number, now: Date): Date {
  const room = Math.max(0, now.getTime() - date.getTime());
  return new Date(date.getTime() + Math.min(offsetMs, room / 2));
}

/** Monthly invoices, newest first: i=0 is the one issued on the 1st of this month (for last month). */
function monthlyInvoices(prefix: string, now: Date, count: number, monthly: number): SandboxInvoice[] {
  return Array.from({ length: count }, (_, i) => {
    const date = monthStart(now, i);
    return { id: `inv_${prefix}_${date.toISOString().slice(0, 7).replace("-", "")}`, date, amount: round(monthly * wobble(i)), status: "paid", dueDate: new Date(date.getTime() + 15 * DAY), paidDate: eventAfter(date, 3 * DAY, now) };
  });
}

export function sourceTotals(source: SandboxSource) {
  const without = round(source.costs.reduce((s, c) => s + c.cost, 0));
  return { totalWithoutDiscount: without, discount: source.discount, totalWithDiscount: round(without - source.discount) };
}
export function orgSubtotal(org: SandboxOrg): number {
  return round(org.sources.reduce((s, src) => s + sourceTotals(src).totalWithDiscount, 0));
}
/** The UsageCostType numbers whose name ends with `suffix`, e.g. every *_CLOUD_STORAGE. */
const costTypesEndingIn = (suffix: string): number[] =>
  proto3.getEnumType(UsageCostType).values.filter((v) => v.name.endsWith(suffix)).map((v) => v.no);

/** The deprecated flat figures of GetCurrentMonthUsageResponse, derived from the sources. */
export function legacyUsage(org: SandboxOrg) {
  const costs = org.sources.flatMap((s) => s.costs);
  const sum = (types: readonly number[]) => round(costs.filter((c) => types.includes(c.resourceType)).reduce((s, c) => s + c.cost, 0));
  // Every *_CLOUD_STORAGE type; "other" is all storage that is not binary data.
  const storage = costTypesEndingIn("_CLOUD_STORAGE");
  return {
    cloudStorageUsageCost: sum(storage),
    binaryDataCloudStorageUsageCost: sum([UsageCostType.BINARY_DATA_CLOUD_STORAGE]),
    otherCloudStorageUsageCost: sum(storage.filter((t) => t !== UsageCostType.BINARY_DATA_CLOUD_STORAGE)),
    dataUploadUsageCost: sum(costTypesEndingIn("_UPLOAD")),
    dataEgresUsageCost: sum(costTypesEndingIn("_EGRESS")),
    remoteControlUsageCost: sum([UsageCostType.REMOTE_CONTROL]),
    standardComputeUsageCost: sum([UsageCostType.STANDARD_COMPUTE]),
    perMachineUsageCost: sum([UsageCostType.PER_MACHINE]),
    discountAmount: round(org.sources.reduce((s, src) => s + src.discount, 0)),
    totalUsageWithoutDiscount: round(org.sources.reduce((s, src) => s + sourceTotals(src).totalWithoutDiscount, 0)),
    totalUsageWithDiscount: orgSubtotal(org),
  };
}
export function outstandingBalance(org: SandboxOrg): number {
  return round(org.invoices.filter((i) => i.status !== "paid").reduce((s, i) => s + i.amount, 0));
}

/** A usage source at monthly rates; accrueUsage fills in the month-to-date figures. */
function source(sourceType: number, tierName: string, monthlyDiscount: number, rates: [resourceType: number, monthly: number][]): SandboxSource {
  return { sourceType, tierName, discount: 0, monthlyDiscount, costs: rates.map(([resourceType, monthly]) => ({ resourceType, monthly, cost: 0 })) };
}

export function createSandboxState(now: Date): SandboxState {
  const usage = {
    acme: [
      source(SOURCE.org, "pro", 12.5, [
        [T.remoteControl, 18.4], [T.standardCompute, 142.75], [T.binaryStorage, 63.12], [T.tabularStorage, 8.9],
        [T.logsStorage, 4.33], [T.logsEgress, 2.05], [T.trigger, 0],
      ]),
      source(SOURCE.fragment, "fleet-arm-v2", 0, [[T.perMachine, 120], [T.binaryUpload, 9.6]]),
      source(SOURCE.fragment, "camera-kit", 5, [[T.perMachine, 45], [T.dbCompute, 11.48]]),
    ],
    fieldworks: [source(SOURCE.org, "free", 0, [[T.remoteControl, 3.2], [T.perMachine, 30]])],
    orbital: [
      source(SOURCE.org, "enterprise", 100, [[T.premiumModule, 250], [T.fromTheFuture, 77.77], [T.standardCompute, 400]]),
      source(UNKNOWN_SOURCE_TYPE, "partner-bundle", 0, [[T.perMachine, 60]]),
    ],
    fleet: [source(SOURCE.org, "business", 0, [[T.perMachine, 900]])],
  };

  const acmeInvoices = monthlyInvoices("acme", now, 12, monthlyNet(usage.acme));
  // The newest is still outstanding; one a few months ago failed on a declined card.
  // Acme pays on 45-day terms, so on every day of the month it has an invoice not yet due.
  Object.assign(acmeInvoices[0]!, { status: "outstanding", paidDate: undefined, dueDate: new Date(acmeInvoices[0]!.date.getTime() + 45 * DAY) });
  Object.assign(acmeInvoices[3]!, {
    status: "payment_failed",
    paidDate: undefined,
    failureReason: "card_declined",
    failureAt: eventAfter(acmeInvoices[3]!.date, 16 * DAY + 3_600_000, now),
  });
  acmeInvoices.push({ id: LARGE_INVOICE_ID, date: monthStart(now, 13), amount: 1980.4, status: "paid", dueDate: monthStart(now, 12), paidDate: monthStart(now, 12), pdfPadding: LARGE_INVOICE_PADDING });

  const fieldInvoices = monthlyInvoices("fieldworks", now, 6, monthlyNet(usage.fieldworks));
  Object.assign(fieldInvoices[0]!, {
    status: "payment_failed",
    paidDate: undefined,
    failureReason: "insufficient_funds",
    failureAt: eventAfter(fieldInvoices[0]!.date, 2 * DAY, now),
  });

  const orbitalInvoices = monthlyInvoices("orbital", now, 3, monthlyNet(usage.orbital));
  Object.assign(orbitalInvoices[0]!, {
    status: "in_review",
    paidDate: undefined,
    failureReason: "bank_account_restricted",
    failureAt: eventAfter(orbitalInvoices[0]!.date, DAY, now),
  });

  // A reseller org that bills its customers: hundreds of small invoices, weekly over years.
  const failureReasons = ["card_declined", "expired_card", "authentication_required", "processing_error"];
  const fleetWeekly = (monthlyNet(usage.fleet) * 7) / 30.44;
  const fleetInvoices: SandboxInvoice[] = Array.from({ length: FLEET_INVOICE_COUNT }, (_, i) => {
    const date = new Date(monthStart(now, 0).getTime() - (i + 1) * 7 * DAY);
    const base = { id: `inv_fleet_${String(FLEET_INVOICE_COUNT - i).padStart(4, "0")}`, date, amount: round(fleetWeekly * wobble(i)), dueDate: new Date(date.getTime() + 14 * DAY) };
    if (i % 29 === 5) return { ...base, status: "payment_failed", failureReason: failureReasons[i % failureReasons.length], failureAt: eventAfter(date, 15 * DAY, now) };
    if (i < 4 || i % 41 === 7) return { ...base, status: "outstanding" };
    return { ...base, status: "paid", paidDate: eventAfter(date, 2 * DAY, now) };
  });

  const orgs: SandboxOrg[] = [
    {
      id: ORG.acme,
      name: "Acme Robotics",
      billingEmail: "billing@acme-robotics.example",
      tier: "pro",
      payment: { type: 1, brand: "visa", lastFour: "4242" },
      sources: usage.acme,
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
        // When the micro-deposits are expected: ahead of now, as a verification pending is.
        verification: { arrivalDate: new Date(now.getTime() + 2 * DAY), url: "https://payments.example/verify/fieldworks" },
      },
      sources: usage.fieldworks,
      invoices: fieldInvoices,
    },
    {
      id: ORG.orbital,
      name: "Orbital Labs",
      billingEmail: "finance@orbital.example",
      tier: "enterprise",
      payment: { type: 1, brand: "amex", lastFour: "0005" },
      sources: usage.orbital,
      invoices: orbitalInvoices,
    },
    {
      id: ORG.fleet,
      name: "Fleet Ops",
      billingEmail: "billing@fleetops.example",
      tier: "business",
      payment: { type: 1, brand: "mastercard", lastFour: "4444" },
      sources: usage.fleet,
      invoices: fleetInvoices,
    },
    { id: ORG.restricted, name: "Someone Else's Org", restricted: true, billingEmail: "x@restricted.example", payment: { type: 0 }, sources: [], invoices: [] },
    { id: ORG.empty, name: "New Co", billingEmail: "", payment: { type: 0 }, sources: [], invoices: [] },
  ];
  for (const org of orgs) accrueUsage(org, now);

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

/**
 * `count` customer orgs of a reseller, for tests of answers over hundreds of orgs: a flat
 * per-machine fee each, three monthly invoices, and a failed payment on every 17th.
 */
export function resellerCustomers(count: number, now: Date): SandboxOrg[] {
  return Array.from({ length: count }, (_, i) => {
    const n = String(i + 1).padStart(3, "0");
    const sources = [source(SOURCE.fragment, "customer-kit", 0, [[T.perMachine, 20 + (i % 7) * 15]])];
    const invoices = monthlyInvoices(`cust${n}`, now, 3, monthlyNet(sources));
    if (i % 17 === 0) Object.assign(invoices[0]!, { status: "payment_failed", paidDate: undefined, failureReason: "card_declined", failureAt: eventAfter(invoices[0]!.date, DAY, now) });
    const org: SandboxOrg = { id: `org-customer-${n}`, name: `Customer ${n}`, billingEmail: `billing@customer-${n}.example`, payment: { type: 1, brand: "visa", lastFour: "1111" }, sources, invoices };
    accrueUsage(org, now);
    return org;
  });
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
