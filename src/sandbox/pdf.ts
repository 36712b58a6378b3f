// A minimal but valid PDF writer for the sandbox's invoices: one page of text, correct xref
// offsets. An optional padding stream (an unreferenced binary object, like an attachment)
// makes large invoices; it is generated per chunk, so no PDF is ever held whole in memory.

export const PDF_CHUNK_SIZE = 64 * 1024;

export interface PdfParts {
  head: Uint8Array;
  /** Length of the padding stream's body, written between head and tail. */
  paddingBytes: number;
  tail: Uint8Array;
}

const latin1 = (s: string) => new Uint8Array(Buffer.from(s, "latin1"));
// PDF string literals: escape delimiters; anything outside printable ASCII becomes "?".
const pdfString = (s: string) => s.replace(/[\\()]/g, (c) => `\\${c}`).replace(/[^\x20-\x7e]/g, "?");

// Deterministic, incompressible-looking padding (xorshift32), repeated every 64 KiB.
const PADDING_BLOCK = (() => {
  const block = new Uint8Array(PDF_CHUNK_SIZE);
  for (let i = 0, x = 0x9e3779b9; i < block.length; i++) block[i] = (x = (x ^= x << 13, x ^= x >>> 17, x ^ (x << 5)) >>> 0) & 0xff;
  return block;
})();

/** Build an invoice PDF as head + padding + tail, so huge ones need not live in memory. */
export function invoicePdfParts(lines: string[], paddingBytes = 0): PdfParts {
  const text = ["BT /F1 12 Tf 72 720 Td 16 TL", ...lines.map((line) => `(${pdfString(line)}) Tj T*`), "ET"].join("\n");
  const objects = [
    "<< /Type /Catalog /Pages 2 0 R >>",
    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    `<< /Length ${text.length} >>\nstream\n${text}\nendstream`,
  ];
  // The second line's high bytes mark the file as binary, as the PDF spec recommends.
  let head = "%PDF-1.4\n%\u00e2\u00e3\u00cf\u00d3\n";
  const offsets: number[] = [];
  for (const [i, obj] of objects.entries()) {
    offsets.push(head.length); // every character is one latin1 byte
    head += `${i + 1} 0 obj\n${obj}\nendobj\n`;
  }
  offsets.push(head.length);
  head += `6 0 obj\n<< /Length ${paddingBytes} >>\nstream\n`;
  let tail = "\nendstream\nendobj\n";
  const xrefAt = head.length + paddingBytes + tail.length;
  tail += `xref\n0 7\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, "0")} 00000 n \n`).join("")}`;
  tail += `trailer\n<< /Size 7 /Root 1 0 R >>\nstartxref\n${xrefAt}\n%%EOF\n`;
  return { head: latin1(head), paddingBytes, tail: latin1(tail) };
}

export const pdfSize = (parts: PdfParts) => parts.head.byteLength + parts.paddingBytes + parts.tail.byteLength;

/** The PDF in chunks of exactly `chunkSize` bytes (the last may be shorter), built one at a time. */
export function* pdfChunks(parts: PdfParts, chunkSize = PDF_CHUNK_SIZE): Generator<Uint8Array<ArrayBuffer>> {
  const { head, paddingBytes, tail } = parts;
  const padEnd = head.byteLength + paddingBytes;
  const total = pdfSize(parts);
  // The bytes available at `at`, up to the end of the region they belong to.
  const view = (at: number): Uint8Array => {
    if (at < head.byteLength) return head.subarray(at);
    if (at >= padEnd) return tail.subarray(at - padEnd);
    const from = (at - head.byteLength) % PADDING_BLOCK.byteLength;
    return PADDING_BLOCK.subarray(from, from + Math.min(PADDING_BLOCK.byteLength - from, padEnd - at));
  };
  for (let at = 0; at < total; at += chunkSize) {
    const chunk = new Uint8Array(Math.min(chunkSize, total - at));
    for (let filled = 0; filled < chunk.byteLength; ) {
      const bytes = view(at + filled).subarray(0, chunk.byteLength - filled);
      chunk.set(bytes, filled);
      filled += bytes.byteLength;
    }
    yield chunk;
  }
}

/** The whole PDF at once: for small invoices and tests. */
export function pdfBytes(parts: PdfParts): Uint8Array {
  return new Uint8Array(Buffer.concat([...pdfChunks(parts)]));
}
