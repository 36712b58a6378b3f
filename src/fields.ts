// Input fields shared by several tools, so their validation and wording live once.
import { z } from "zod";

const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

/** An opaque id: non-empty, bounded, printable. */
export function idField(description: string) {
  return z
    .string()
    .trim()
    .min(1, "must not be empty")
    .max(128, "must be at most 128 characters")
    .refine((v) => !CONTROL_CHARS.test(v), "must not contain control characters")
    .describe(description);
}

export const orgIdField = idField("Viam organization id. May be omitted when VIAM_ORG_ID is set.").optional();

export const timeoutField = z
  .number()
  .positive("must be a positive number of seconds")
  .max(600, "must be at most 600 seconds")
  .optional()
  .describe("Deadline for the upstream call in seconds (default 30).");
