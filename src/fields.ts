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
