// Saving an invoice PDF where a language model asked for it, safely: the path is confined to
// the download directory (symlinks and ".." resolved, no directory created outside it),
// nothing is overwritten unless asked, and the bytes are streamed to a temporary file beside
// the destination, then moved into place, so a broken stream never leaves a partial file
// (nor the directories made for it); a killed server's temporary files go at the next start.
import { createHash, randomBytes } from "node:crypto";
import { link, lstat, mkdir, open, opendir, realpath, rename, rmdir, stat, unlink } from "node:fs/promises";
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { ToolError } from "../core/errors.js";
import { hasInvisibleChars, INVISIBLE_RULE } from "../mcp/fields.js";

/** Where a download goes, and the directories made for it (outermost first), removed if it fails. */
export interface Destination {
  path: string;
  created: string[];
}

export interface SavedFile {
  path: string;
  bytes: number;
  sha256: string;
}

/** `path` relative to `dir` when strictly inside it, else undefined. */
function insidePart(dir: string, path: string): string | undefined {
  const rel = relative(dir, path);
  if (rel === "" || rel === ".." || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return undefined;
  return rel;
}

/** A file name that is safe on every OS, from ids chosen upstream. */
export function stableInvoiceFileName(orgId: string, invoiceId: string): string {
  const clean = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, "_").replace(/^\.+/, "");
  const name = `invoice-${clean(orgId)}-${clean(invoiceId)}.pdf`;
  if (name.length <= MAX_NAME_BYTES) return name;
  // Very long ids: shortened, and a digest keeps the name stable and distinct.
  const digest = createHash("sha256").update(`${orgId}\n${invoiceId}`).digest("hex").slice(0, 16);
  return `invoice-${clean(orgId).slice(0, 60)}-${clean(invoiceId).slice(0, 100)}-${digest}.pdf`;
}

// Names that are unusable or mean something else on Windows (devices, streams), so a
// saved invoice can be copied anywhere; the length leaves room for the temporary name.
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$/i;
const FORBIDDEN_CHARS = /[<>:"|?*\\\u0000-\u001f\u007f]/;
const MAX_NAME_BYTES = 200;

function checkComponent(part: string): void {
  const problem = FORBIDDEN_CHARS.test(part)
    ? 'contains a character not allowed in file names (< > : " | ? * \\ or a control character)'
    : /[. ]$/.test(part)
      ? "ends with a dot or a space"
      : WINDOWS_RESERVED.test(part)
        ? "is a reserved device name on Windows"
        : Buffer.byteLength(part) > MAX_NAME_BYTES
          ? `is longer than ${MAX_NAME_BYTES} bytes`
          : undefined;
  if (problem) throw new ToolError(`dest: "${part}" ${problem}; choose a plain name such as "invoice-2024-10.pdf".`);
}

function fsFailure(err: unknown, doing: string): ToolError {
  if (err instanceof ToolError) return err;
  const code = (err as { code?: unknown }).code;
  const why =
    code === "EACCES" || code === "EPERM"
      ? "permission denied"
      : code === "ENOSPC" || code === "EDQUOT"
        ? "no space left on the device"
        : code === "EROFS"
          ? "the file system is read-only"
          : code === "ENAMETOOLONG"
            ? "the path is too long"
            : typeof code === "string"
              ? code
              : err instanceof Error
                ? err.message.split("\n")[0]
                : String(err);
  return new ToolError(`Could not ${doing}: ${why}. Check that BILLING_MCP_DOWNLOAD_DIR is a writable directory, then retry.`);
}

/** Removes the directories a download made, innermost first, if they are still empty. */
async function removeCreated(created: readonly string[]): Promise<void> {
  for (const dir of [...created].reverse()) await rmdir(dir).catch(() => undefined);
}

/** Resolve `dest` inside `downloadDir`, creating missing subdirectories there, or refuse with what to do instead. */
export async function resolveDestination(downloadDir: string, dest: string, overwrite: boolean): Promise<Destination> {
  if (!/^.+\.pdf$/i.test(basename(dest)) || /[\\/]$/.test(dest)) {
    throw new ToolError(`dest must name a .pdf file, such as "invoice-2024-10.pdf"; got "${basename(dest) || dest}".`);
  }
  if (/[\u0000-\u001f\u007f]/.test(dest)) throw new ToolError("dest must not contain control characters.");
  if (hasInvisibleChars(dest)) {
    const found = [...dest].filter(hasInvisibleChars).map((c) => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`);
    throw new ToolError(`dest ${INVISIBLE_RULE}; it has ${[...new Set(found)].join(", ")}.`);
  }
  const created: string[] = [];
  const first = await mkdir(downloadDir, { recursive: true }).catch((err: unknown) => {
    throw fsFailure(err, `create the download directory ${downloadDir}`);
  });
  // mkdir -p names the outermost directory it made: the chain from there down is ours.
  if (first) for (let dir = resolve(downloadDir); ; dir = dirname(dir)) {
    created.unshift(dir);
    if (dir === resolve(first) || dir === dirname(dir)) break;
  }
  try {
    return { path: await walkDown(downloadDir, dest, overwrite, created), created };
  } catch (err) {
    await removeCreated(created);
    throw err;
  }
}

async function walkDown(downloadDir: string, dest: string, overwrite: boolean, created: string[]): Promise<string> {
  const root = await realpath(downloadDir).catch((err: unknown) => {
    throw fsFailure(err, `create the download directory ${downloadDir}`);
  });
  const outside = () =>
    new ToolError(`dest must be inside the download directory ${root} (BILLING_MCP_DOWNLOAD_DIR); pass a relative name such as "invoice.pdf".`);
  const wanted = isAbsolute(dest) ? resolve(dest) : resolve(root, dest);
  // Lexical check first (catches ".."), against the real root and the configured spelling.
  const rel = insidePart(root, wanted) ?? insidePart(resolve(downloadDir), wanted);
  if (rel === undefined) throw outside();
  const parts = rel.split(sep);
  parts.forEach(checkComponent);
  const name = parts.pop() as string;

  // Walk down one directory at a time: a symlink pointing outside is refused before
  // anything is created through it (mkdir -p would create directories outside).
  let parent = root;
  for (const part of parts) {
    const next = join(parent, part);
    try {
      await mkdir(next);
      created.push(next);
    } catch (err) {
      if ((err as { code?: unknown }).code !== "EEXIST") throw fsFailure(err, `create the directory ${next}`);
    }
    const real = await realpath(next).catch(() => undefined);
    if (real === undefined || (real !== root && insidePart(root, real) === undefined)) throw outside();
    if (!(await stat(real)).isDirectory()) throw new ToolError(`dest: ${next} is not a directory; choose another path.`);
    parent = real;
  }

  const target = join(parent, name);
  const existing = await lstat(target).catch(() => undefined);
  if (existing?.isSymbolicLink()) throw new ToolError(`dest ${target} is a symbolic link; choose another name.`);
  if (existing && !existing.isFile()) throw new ToolError(`dest ${target} exists and is not a file; choose another name.`);
  if (existing && !overwrite) throw new ToolError(`dest ${target} already exists; pass overwrite: true to replace it, or choose another name.`);
  return target;
}

const alreadyExists = (target: string) =>
  new ToolError(`dest ${target} already exists (it appeared while downloading); pass overwrite: true to replace it, or choose another name.`);

/**
 * Put the finished temporary file at `target`. Without overwrite, link() is the atomic
 * no-clobber move: it fails with EEXIST if anything (file, symlink) appeared at target
 * since the check. rename() replaces the directory entry itself, never writes through a
 * symlink or hard link placed there.
 */
async function finalise(temp: string, target: string, overwrite: boolean): Promise<void> {
  if (overwrite) return rename(temp, target);
  try {
    await link(temp, target);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === "EEXIST") throw alreadyExists(target);
    // File systems without hard links (FAT, some network mounts): check, then rename.
    if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EOPNOTSUPP" && code !== "ENOSYS") throw err;
    if (await lstat(target).then(() => true, () => false)) throw alreadyExists(target);
    return rename(temp, target);
  }
  await unlink(temp).catch(() => undefined);
}

/**
 * Write the chunks `produce` yields to `target` atomically, hashing and counting on the way.
 * Each write is awaited before the next chunk is taken, so the stream is read no faster
 * than the disk accepts it; that is also what lets the transport lend each chunk from one
 * reused buffer (see ViamConnection.streamInvoicePdf): nothing here keeps a chunk after
 * its write.
 */
export async function writeAtomically(
  destination: Destination,
  overwrite: boolean,
  produce: (write: (chunk: Uint8Array) => Promise<void>) => Promise<void>,
): Promise<SavedFile> {
  const target = destination.path;
  // The pid tells the next start-up whether the download is still going (see removeStalePartials).
  const temp = join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(6).toString("hex")}.part`);
  const hash = createHash("sha256");
  let bytes = 0;
  const handle = await open(temp, "wx", 0o600).catch(async (err: unknown) => {
    await removeCreated(destination.created);
    throw fsFailure(err, `create a file in ${dirname(target)}`);
  });
  try {
    await produce(async (chunk) => {
      hash.update(chunk);
      bytes += chunk.byteLength;
      await handle.write(chunk).catch((err: unknown) => {
        throw fsFailure(err, `write ${temp}`);
      });
    });
    await handle.sync();
    await handle.close();
    await finalise(temp, target, overwrite);
  } catch (err) {
    await handle.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    await removeCreated(destination.created);
    const failure = fsFailure(err, `save ${target}`);
    throw new ToolError(`${failure.message} Nothing was saved at ${target}.`, failure.code);
  }
  await syncDirectory(dirname(target));
  return { path: target, bytes, sha256: hash.digest("hex") };
}

// The rename/link is durable only once the directory is synced; Windows cannot open a
// directory for that, and a failure here does not undo the save.
async function syncDirectory(dir: string): Promise<void> {
  if (process.platform === "win32") return;
  const handle = await open(dir, "r").catch(() => undefined);
  await handle?.sync().catch(() => undefined);
  await handle?.close().catch(() => undefined);
}

// A temporary file of writeAtomically: ".<name>.pdf.<pid>.<12 hex>.part" (without the pid
// before the pid was added).
const PART_FILE = /^\..+\.pdf\.(?:(\d+)\.)?[0-9a-f]{12}\.part$/i;
const OLD_PART_AGE_MS = 3_600_000;
const MAX_SCANNED = 10_000;
const MAX_DEPTH = 8;

/** Whether process `pid` runs (EPERM: it does, as another user). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === "EPERM";
  }
}

/**
 * Removes the temporary files that downloads of stopped processes left in `downloadDir` (a
 * server killed mid-download); a running server's are kept. Bounded, best effort: the paths removed.
 */
export async function removeStalePartials(downloadDir: string, now = Date.now()): Promise<string[]> {
  const removed: string[] = [];
  let scanned = 0;
  const visit = async (dir: string, depth: number): Promise<void> => {
    const entries = await opendir(dir).catch(() => undefined);
    if (!entries) return;
    for await (const entry of entries) {
      if (++scanned > MAX_SCANNED) break;
      const path = join(dir, entry.name);
      if (entry.isDirectory() && depth < MAX_DEPTH) await visit(path, depth + 1);
      const match = entry.isFile() ? PART_FILE.exec(entry.name) : null;
      if (!match) continue;
      const pid = match[1] === undefined ? undefined : Number(match[1]);
      const stale = pid !== undefined ? pid !== process.pid && !running(pid) : now - ((await lstat(path).catch(() => undefined))?.mtimeMs ?? now) > OLD_PART_AGE_MS;
      if (stale && (await unlink(path).then(() => true, () => false))) removed.push(path);
    }
  };
  await visit(resolve(downloadDir), 0);
  return removed;
}
