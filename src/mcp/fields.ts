// Input fields shared by several tools, so their validation and wording live once.
// Every string a tool takes goes through one of these: bounded, and free of characters
// that have no place in an id or a short text (test/fuzz.test.ts checks every tool).
import { z } from "zod";

/**
 * Characters no string input may carry: C0 and C1 controls and DEL (NUL, escape sequences,
 * newlines), lone surrogates (not valid UTF-8 on the wire), line and paragraph separators,
 * and bidirectional embedding, override and isolate controls (text that displays reversed).
 */
const CONTROL_CHARS = /[\p{Cc}\p{Cs}\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

/** Ids and file names are also free of invisible format characters (zero-width spaces and joiners, BOM, soft hyphen). */
const INVISIBLE_CHARS = /\p{Cf}/u;
export const INVISIBLE_RULE = "must not contain invisible characters (zero-width spaces or joiners, BOM, soft hyphen)";
export const hasInvisibleChars = (v: string) => INVISIBLE_CHARS.test(v);

// Scripts whose letters pass for one another in an id ("org-асme" with Cyrillic а and с).
// Han, kana and Hangul count as one, as Japanese and Korean text mixes them.
const SCRIPTS: readonly [string, RegExp][] = [
  ["Latin", /\p{Script=Latin}/u],
  ["Cyrillic", /\p{Script=Cyrillic}/u],
  ["Greek", /\p{Script=Greek}/u],
  ["Armenian", /\p{Script=Armenian}/u],
  ["Georgian", /\p{Script=Georgian}/u],
  ["Cherokee", /\p{Script=Cherokee}/u],
  ["Hebrew", /\p{Script=Hebrew}/u],
  ["Arabic", /\p{Script=Arabic}/u],
  ["CJK", /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\p{Script=Bopomofo}]/u],
];
const scriptOf = (char: string) => SCRIPTS.find(([, re]) => re.test(char))?.[0] ?? (/[\p{L}\p{N}]/u.test(char) && !/\p{Script=Common}/u.test(char) ? "another script" : undefined);
const codePoint = (char: string) => `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;

/**
 * Why `v` may be a look-alike of another id: letters of more than one script, or
 * compatibility forms (fullwidth "ｏ") that stand for plain ones; undefined when neither.
 */
export function lookAlikeProblem(v: string): string | undefined {
  const byScript = new Map<string, string[]>();
  for (const char of v) {
    const script = scriptOf(char);
    if (!script) continue;
    const chars = byScript.get(script);
    if (chars) chars.push(char);
    else byScript.set(script, [char]);
  }
  if (byScript.size > 1) {
    // Name the letters outside the id's main script: those are the likely look-alikes.
    const [main, ...others] = [...byScript.entries()].sort((a, b) => b[1].length - a[1].length);
    const named = others.flatMap(([script, chars]) => [...new Set(chars)].slice(0, 3).map((c) => `${script} "${c}" ${codePoint(c)}`));
    return `mixes ${main![0]} with ${others.map(([s]) => s).join(" and ")} letters (${named.join(", ")}), a look-alike of another id; retype it in one script`;
  }
  const odd = [...v].find((c) => c.normalize("NFKC") !== c);
  if (odd) return `contains "${odd}" ${codePoint(odd)}, a compatibility form (fullwidth or styled) that looks like "${odd.normalize("NFKC")}"; retype it with plain characters`;
  return undefined;
}

/** An opaque id: non-empty, bounded, printable, in one script. */
const id = z
  .string()
  .trim()
  .min(1, "must not be empty")
  .max(128, "must be at most 128 characters")
  .refine((v) => !CONTROL_CHARS.test(v), "must not contain control characters")
  .refine((v) => !hasInvisibleChars(v), INVISIBLE_RULE)
  .superRefine((v, ctx) => {
    const problem = lookAlikeProblem(v);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

// zod 4 keeps a description on the schema instance it was given to: describe last.
export const idField = (description: string) => id.describe(description);
export const optionalIdField = (description: string) => id.optional().describe(description);

export const orgIdField = optionalIdField("Viam organization id; omit for the default.");

/** A short free-text value (a status name, a file name): trimmed, non-empty, at most `max` characters, printable. */
export const boundedText = (max: number) =>
  z
    .string()
    .trim()
    .min(1, "must not be empty")
    .max(max, `must be at most ${max} characters`)
    .refine((v) => !CONTROL_CHARS.test(v), "must not contain control characters");

export const MIN_TIMEOUT_SECONDS = 0.1;
export const MAX_TIMEOUT_SECONDS = 600;

export const timeoutField = z
  .number()
  .min(MIN_TIMEOUT_SECONDS, `must be at least ${MIN_TIMEOUT_SECONDS} seconds`)
  .max(MAX_TIMEOUT_SECONDS, `must be at most ${MAX_TIMEOUT_SECONDS} seconds`)
  .optional()
  .describe("Seconds (default 30).");

// Exact, not within a tolerance: the double must be the one nearest a whole number of cents,
// or Viam receives a fraction of a cent (0.0100000001) or a denormal (5e-324) as typed.
const isWholeCents = (v: number) => Math.round(v * 100) / 100 === v;
export const MAX_USD = 1_000_000_000;

/** Money in USD as Viam takes it (a double), in whole cents; `positive` also refuses 0. */
function money(description: string, positive: boolean) {
  const rule = positive ? "must be a positive amount in whole cents (at least 0.01, at most 2 decimals)" : "must be an amount in whole cents (0 or more, at most 2 decimals)";
  return z
    .number()
    .min(positive ? 0.01 : 0, rule)
    .max(MAX_USD, `must be at most ${MAX_USD}`)
    .refine(isWholeCents, rule)
    .describe(description);
}

/** An amount charged (a subtotal, an invoice amount): positive whole cents. */
export const usdAmountField = (description: string) => money(description, true);
/** An amount that may be zero (tax): whole cents, not negative. */
export const usdField = (description: string) => money(description, false);

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
