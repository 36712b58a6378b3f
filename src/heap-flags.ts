// V8 settings for the server process, applied by src/cli.ts before anything else loads.
// Node takes --max-semi-space-size and --max-old-space-size only on its command line, which
// an MCP client writes, not us; the flags below are read by V8 each time they apply (a wasm
// compile, a garbage collection), so setting them at run time works (--max-semi-space-size
// set that way, measured, changes nothing: V8 sizes the heap once, at start). Measured with
// `npm run bench` ([rss-calls]); see README "Performance". A flag this Node's V8 does not
// know is reported on stderr ("unrecognized flag"), which test/cli.test.ts's --version test
// (stderr must be empty) catches after a Node upgrade.
import { setFlagsFromString } from "node:v8";

/** The flags, in the order they are set. */
export const HEAP_FLAGS = [
  // The first fetch() compiles undici's HTTP parser (llhttp, WebAssembly) and V8 then
  // recompiles it with TurboFan in the background: about 25 MiB of peak RSS for a one-off
  // compile. Viam calls no longer use fetch (src/viam-transport.ts), but Latitude.sh calls
  // do. Liftoff's code parses our small responses as fast, as far as the bench can tell.
  "--liftoff-only",
  // Keep the young generation at its initial size (1 MiB per semi-space) instead of letting
  // it grow to 16: it otherwise holds up to 32 MiB of short-lived garbage per call burst.
  // The cost: about 7x as many (shorter) scavenges; the median call moved by at most a few
  // hundredths of [per-call]'s ratio, within run-to-run noise.
  "--semi-space-growth-factor=1",
  // Let the old generation grow by 20% past what survived the last full collection, not
  // V8's default factor (up to 4x for a small heap): the 200-call batches leave garbage
  // there, and a bounded growth collects it sooner instead of growing RSS.
  "--heap-growing-percent=20",
  // Among other things, V8 then raises the old generation's limit in smaller steps (the
  // garbage of a call burst is collected sooner): about 2 MiB off the peak, no per-call cost
  // measurable in [per-call].
  "--optimize-for-size",
] as const;

for (const flag of HEAP_FLAGS) setFlagsFromString(flag);
