// Input fields shared by several tools, so their validation and wording live once.
import { z } from "zod";

const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

/** An opaque id: non-empty, bounded, printable. */
const id = z
  .string()
  .trim()
  .min(1, "must not be empty")
  .max(128, "must be at most 128 characters")
  .refine((v) => !CONTROL_CHARS.test(v), "must not contain control characters");

// zod 4 keeps a description on the schema instance it was given to: describe last.
export const idField = (description: string) => id.describe(description);
export const optionalIdField = (description: string) => id.optional().describe(description);

export const orgIdField = optionalIdField("Viam organization id. May be omitted when VIAM_ORG_ID is set.");

export const timeoutField = z
  .number()
  .positive("must be a positive number of seconds")
  .max(600, "must be at most 600 seconds")
  .optional()
  .describe("Deadline for the upstream call in seconds (default 30).");

const isWholeCents = (v: number) => Math.abs(v * 100 - Math.round(v * 100)) < 1e-6;

/** A USD amount as Viam takes it (a double), in whole cents. */
export function usdField(description: string) {
  return z
    .number()
    .min(0, "must not be negative")
    .max(1_000_000_000, "must be at most 1000000000")
    .refine(isWholeCents, "must be in whole cents (at most 2 decimals)")
    .describe(description);
}

/** Free text that ends up in front of a customer (an invoice line, an email); optional. */
export const optionalTextField = (description: string) =>
  z
    .string()
    .trim()
    .min(1, "must not be empty (omit it instead)")
    .max(500, "must be at most 500 characters")
    .refine((v) => !CONTROL_CHARS.test(v), "must not contain control characters")
    .optional()
    .describe(description);
