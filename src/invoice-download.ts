// Saving an invoice PDF where a language model asked for it, safely: the path is confined to
// the download directory (symlinks and ".." resolved), nothing is overwritten unless asked,
// and the bytes are streamed to a temporary file beside the destination, then renamed, so
// a broken stream never leaves a partial file at the destination.
import { createHash, randomBytes } from "node:crypto";
import { lstat, mkdir, open, realpath, rename, unlink } from "node:fs/promises";
import { basename, dirname, isAbsolute, join, relative, resolve } from "node:path";
import { ToolError } from "./errors.js";

export interface SavedFile {
  path: string;
  bytes: number;
  sha256: string;
}

const isInside = (dir: string, path: string) => {
  const rel = relative(dir, path);
  return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel);
};

/** A file name that is safe on every OS, from ids chosen upstream. */
export function stableInvoiceFileName(orgId: string, invoiceId: string): string {
  const clean = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, "_").replace(/^\.+/, "");
  return `invoice-${clean(orgId)}-${clean(invoiceId)}.pdf`;
}

const FS_REASONS: Record<string, string> = {
  ENAMETOOLONG: "the name is too long",
  EACCES: "permission denied",
  EPERM: "permission denied",
  ENOSPC: "the disk is full",
  EDQUOT: "the disk quota is exceeded",
  EROFS: "the file system is read-only",
  ENOTDIR: "part of the path is a file, not a directory",
  EISDIR: "it is a directory",
  EEXIST: "it already exists",
  ELOOP: "too many symbolic links",
  EINVAL: "the name is not valid here",
};

/**
 * A file system failure (a Node error with a string errno code) as a tool error that says
 * what to do; anything else (an RPC failure, a ToolError) passes through unchanged.
 */
export function fileSystemFailure(err: unknown, path: string): unknown {
  const code = typeof err === "object" && err !== null ? (err as { code?: unknown }).code : undefined;
  if (typeof code !== "string" || !/^E[A-Z]+$/.test(code)) return err;
  return new ToolError(
    `Could not save the invoice PDF at ${path}: ${FS_REASONS[code] ?? code}. Pass another dest (a short relative .pdf name) or check BILLING_MCP_DOWNLOAD_DIR.`,
  );
}

/** Resolve `dest` inside `downloadDir`, or refuse with what to do instead. */
export async function resolveDestination(downloadDir: string, dest: string, overwrite: boolean): Promise<string> {
  try {
    return await resolveInside(downloadDir, dest, overwrite);
  } catch (err) {
    throw fileSystemFailure(err, dest);
  }
}

async function resolveInside(downloadDir: string, dest: string, overwrite: boolean): Promise<string> {
  if (!/\.pdf$/i.test(dest)) throw new ToolError(`dest must name a .pdf file; got "${basename(dest)}".`);
  await mkdir(downloadDir, { recursive: true });
  const root = await realpath(downloadDir);
  const wanted = isAbsolute(dest) ? resolve(dest) : resolve(root, dest);
  const outside = () =>
    new ToolError(`dest must be inside the download directory ${root} (BILLING_MCP_DOWNLOAD_DIR); pass a relative name such as "invoice.pdf".`);
  // Lexical check first (catches "..") against both the configured and the real root.
  if (!isInside(root, wanted) && !isInside(resolve(downloadDir), wanted)) throw outside();
  const lexicalParent = dirname(isInside(root, wanted) ? wanted : join(root, relative(resolve(downloadDir), wanted)));
  await mkdir(lexicalParent, { recursive: true });
  const parent = await realpath(lexicalParent); // follows any symlinked directory
  const target = join(parent, basename(wanted));
  if (!isInside(root, target)) throw outside();
  const existing = await lstat(target).catch(() => undefined);
  if (existing?.isSymbolicLink()) throw new ToolError(`dest ${target} is a symbolic link; choose another name.`);
  if (existing && !existing.isFile()) throw new ToolError(`dest ${target} exists and is not a file; choose another name.`);
  if (existing && !overwrite) throw new ToolError(`dest ${target} already exists; pass overwrite: true to replace it, or choose another name.`);
  return target;
}

/** Write the chunks `produce` yields to `target` atomically; hashes and counts on the way. */
export async function writeAtomically(
  target: string,
  produce: (write: (chunk: Uint8Array) => Promise<void>) => Promise<void>,
): Promise<SavedFile> {
  const temp = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString("hex")}.part`);
  const hash = createHash("sha256");
  let bytes = 0;
  const handle = await open(temp, "wx", 0o600).catch((err: unknown) => {
    throw fileSystemFailure(err, target);
  });
  try {
    await produce(async (chunk) => {
      hash.update(chunk);
      bytes += chunk.byteLength;
      await handle.write(chunk);
    });
    await handle.sync();
    await handle.close();
    await rename(temp, target);
  } catch (err) {
    await handle.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    throw fileSystemFailure(err, target);
  }
  return { path: target, bytes, sha256: hash.digest("hex") };
}

