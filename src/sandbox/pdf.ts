// A minimal but valid PDF writer for the sandbox's invoices: one page of text, correct
// xref offsets. A padding stream makes large invoices, produced chunk by chunk.

const enc = new TextEncoder();
const escape = (s: string) => s.replace(/[\\()]/g, (c) => `\\${c}`);

export interface PdfParts {
  head: Uint8Array;
  /** Bytes of the padding stream's body (written between head and tail), generated lazily. */
  paddingBytes: number;
  tail: Uint8Array;
}

/** Build an invoice PDF as head + padding + tail, so huge ones need not live in memory. */
export function invoicePdfParts(lines: string[], paddingBytes = 0): PdfParts {
  const text = lines.map((line, i) => `BT /F1 12 Tf 72 ${720 - i * 18} Td (${escape(line)}) Tj ET`).join("\n");
  const objects = [
    "<< /Type /Catalog /Pages 2 0 R >>",
    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    `<< /Length ${enc.encode(text).byteLength} >>\nstream\n${text}\nendstream`,
  ];
  let body = "%PDF-1.4\n%\u00e2\u00e3\u00cf\u00d3\n";
  const offsets: number[] = [];
  const byteLength = (s: string) => Buffer.byteLength(s, "latin1");
  objects.forEach((obj, i) => {
    offsets.push(byteLength(body));
    body += `${i + 1} 0 obj\n${obj}\nendobj\n`;
  });
  // Object 6: an unreferenced stream that carries the padding (attachments in a real invoice).
  offsets.push(byteLength(body));
  body += `6 0 obj\n<< /Length ${paddingBytes} >>\nstream\n`;
  const head = Buffer.from(body, "latin1");
  let tail = "\nendstream\nendobj\n";
  const xrefAt = head.byteLength + paddingBytes + byteLength(tail);
  tail += `xref\n0 7\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, "0")} 00000 n \n`).join("")}`;
  tail += `trailer\n<< /Size 7 /Root 1 0 R >>\nstartxref\n${xrefAt}\n%%EOF\n`;
  return { head: new Uint8Array(head), paddingBytes, tail: new Uint8Array(Buffer.from(tail, "latin1")) };
}

/** Yield the PDF in chunks of `chunkSize`, padding generated on the fly. */
export function* pdfChunks(parts: PdfParts, chunkSize = 64 * 1024): Generator<Uint8Array> {
  yield parts.head;
  const filler = new Uint8Array(chunkSize).fill(0x20);
  for (let left = parts.paddingBytes; left > 0; left -= chunkSize) yield left >= chunkSize ? filler : filler.subarray(0, left);
  yield parts.tail;
}

export function pdfBytes(parts: PdfParts): Uint8Array {
  return Buffer.concat([...pdfChunks(parts)]);
}

export const pdfSize = (parts: PdfParts) => parts.head.byteLength + parts.paddingBytes + parts.tail.byteLength;
