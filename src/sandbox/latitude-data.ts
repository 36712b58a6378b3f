// Demo data the Latitude.sh sandbox serves. Amounts are cents, as Latitude sends them; each
// product's price is its quantity × unit price less its discounts. The list holds what a whole
// period uses; sandboxProjectAt gives what has accrued by a given time (whole hours of the
// period elapsed), which is what the sandbox serves and tests compare against.

export interface SandboxDiscount {
  description: string;
  type: "percent" | "amount";
  /** Percent, or cents when type is amount. */
  value: number;
}

export interface SandboxProduct {
  id: string;
  resource: string;
  name: string;
  description: string;
  unit: "quantity" | "hour" | "minute";
  usage_type: "licensed" | "metered";
  quantity: number;
  unit_price: number;
  amount_without_discount: number;
  discounts: SandboxDiscount[];
  price: number;
  metadata: { id: string | null; hostname: string | null; plan: string | null; tags: string[] };
}

export interface SandboxProject {
  id: string;
  slug: string;
  name: string;
  available_credit_balance: number;
  threshold: number | null;
  products: SandboxProduct[];
}

const server = (id: string, hostname: string, plan: string, quantity: number, unitPrice: number, discounts: SandboxDiscount[] = []): SandboxProduct => {
  const gross = quantity * unitPrice;
  const off = discounts.reduce((sum, d) => sum + (d.type === "percent" ? (gross * d.value) / 100 : d.value), 0);
  return {
    id,
    resource: "server",
    name: plan.replace(/-/g, "."),
    description: `Bare metal server ${hostname} (${plan})`,
    unit: "hour",
    usage_type: "metered",
    quantity,
    unit_price: unitPrice,
    amount_without_discount: gross,
    discounts,
    price: gross - off,
    metadata: { id: `sv_${hostname.replace(/-/g, "")}`, hostname, plan, tags: [] },
  };
};

const metered = (id: string, resource: string, name: string, quantity: number, unitPrice: number): SandboxProduct => ({
  id,
  resource,
  name,
  description: name,
  unit: "quantity",
  usage_type: resource === "storage" ? "licensed" : "metered",
  quantity,
  unit_price: unitPrice,
  amount_without_discount: quantity * unitPrice,
  discounts: [],
  price: quantity * unitPrice,
  metadata: { id: null, hostname: null, plan: null, tags: [] },
});

export const LATITUDE_SANDBOX_PROJECTS: readonly SandboxProject[] = [
  {
    id: "proj_sandbox_web",
    slug: "web-prod",
    name: "Web Production",
    available_credit_balance: 2500,
    threshold: 10000,
    products: [
      server("si_sbx_web01", "web-01", "c2-small-x86", 312, 18),
      server("si_sbx_web02", "web-02", "c2-small-x86", 312, 18),
      server("si_sbx_db01", "db-01", "c3-medium-x86", 300, 60, [{ description: "Monthly Discount - Accelerate", type: "percent", value: 10 }]),
      metered("si_sbx_bw", "bandwidth", "Bandwidth (GB)", 1250, 0.5),
      metered("si_sbx_storage", "storage", "Block storage (GB)", 500, 5),
    ],
  },
  {
    id: "proj_sandbox_ml",
    slug: "ml-training",
    name: "ML Training",
    available_credit_balance: 0,
    threshold: null,
    products: [
      server("si_sbx_gpu01", "gpu-01", "g3-large-x86", 200, 250, [{ description: "Committed use credit", type: "amount", value: 5000 }]),
      metered("si_sbx_ml_storage", "storage", "Block storage (GB)", 2000, 5),
    ],
  },
];

export function findSandboxProject(idOrSlug: string): SandboxProject | undefined {
  return LATITUDE_SANDBOX_PROJECTS.find((p) => p.id === idOrSlug || p.slug === idOrSlug);
}

const HOUR = 3_600_000;

/** The project as of `now`: every product's usage is its whole-period figure times the share of whole hours elapsed. */
export function sandboxProjectAt(idOrSlug: string, now: Date): SandboxProject | undefined {
  const project = findSandboxProject(idOrSlug);
  if (!project) return undefined;
  const period = sandboxPeriod(now);
  const hours = Math.floor((now.getTime() - period.start.getTime()) / HOUR);
  const share = (hours * HOUR) / (period.end.getTime() - period.start.getTime());
  const products = project.products.map((p): SandboxProduct => {
    const quantity = Math.round(p.quantity * share * 100) / 100;
    const gross = Math.round(quantity * p.unit_price);
    const discounts = p.discounts.map((d) => (d.type === "amount" ? { ...d, value: Math.round(d.value * share) } : d));
    const off = discounts.reduce((sum, d) => sum + (d.type === "percent" ? Math.round((gross * d.value) / 100) : d.value), 0);
    return { ...p, quantity, amount_without_discount: gross, discounts, price: Math.max(0, gross - off) };
  });
  return { ...project, products };
}

/** The products a query returns, filtered as Latitude does: by product id and by plan name. */
export function filterSandboxProducts(project: SandboxProject, filters: { products?: readonly string[]; plan?: string }): SandboxProduct[] {
  return project.products.filter(
    (p) => (!filters.products?.length || filters.products.includes(p.id)) && (filters.plan === undefined || p.metadata.plan === filters.plan),
  );
}

/**
 * Latitude bills in cycles anchored on the project's creation time, not calendar months:
 * the sandbox's cycle runs from the 5th at 15:56:32 UTC to the same moment a month later.
 */
export function sandboxPeriod(now: Date): { start: Date; end: Date } {
  const anchor = (year: number, month: number) => new Date(Date.UTC(year, month, 5, 15, 56, 32));
  let start = anchor(now.getUTCFullYear(), now.getUTCMonth());
  if (start > now) start = anchor(now.getUTCFullYear(), now.getUTCMonth() - 1);
  return { start, end: anchor(start.getUTCFullYear(), start.getUTCMonth() + 1) };
}
