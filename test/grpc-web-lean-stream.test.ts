// The lean gRPC-web reader (src/viam/grpc-web-lean-stream.ts) against a raw TCP server on
// loopback that writes every byte itself: responses cut at arbitrary points (inside the status
// line, a header name, a chunk-size line, a CRLF, a frame header, the trailer), malformed and
// truncated ones, stalls, cancellation and deadlines. The reader parses HTTP/1.1 and gRPC-web
// framing by hand, so a mistake there would corrupt or truncate a PDF silently; the sandbox
// (connect-node) only ever sends well-formed responses in its own chunking.
import { createServer } from "node:net";
import type { AddressInfo, Server, Socket } from "node:net";
import fc from "fast-check";
import type { AnyMessage } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { createAsyncIterable, encodeEnvelope } from "@connectrpc/connect/protocol";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { streamBorrowingMessages } from "../src/viam/grpc-web-lean-stream.js";
import { BillingService, GetInvoicePdfRequest, GetInvoicePdfResponse } from "../src/viam/proto.js";

const SEED = 20_260_707; // fixed: a failure names its seed and path, and reruns the same way
const METHOD = BillingService.methods.getInvoicePdf;
const REQUEST = { id: "inv_lean_1", orgId: "org-lean" };
/** Every test is bounded: a reader that hangs fails here instead of stalling the suite. */
const BOUND_MS = 5_000;

// ---- the server: one listener, each connection answered by the responder set for it ----

interface ReceivedRequest {
  requestLine: string;
  headers: Map<string, string>;
  body: Buffer;
}
interface Connection {
  socket: Socket;
  request: Promise<ReceivedRequest>;
  closed: Promise<void>;
  isClosed: () => boolean;
}
type Responder = (conn: Connection) => Promise<void>;

let server: Server;
let baseUrl: string;
let responder: Responder = async () => undefined;
let connections: Connection[] = [];

function readRequest(socket: Socket): Promise<ReceivedRequest> {
  return new Promise((resolve, reject) => {
    let received = Buffer.alloc(0);
    let done = false;
    // Keeps reading after the request (the socket stays flowing) so that a close is seen.
    socket.on("data", (data: Buffer) => {
      if (done) return;
      received = Buffer.concat([received, data]);
      const end = received.indexOf("\r\n\r\n");
      if (end < 0) return;
      const [requestLine = "", ...lines] = received.toString("latin1", 0, end).split("\r\n");
      const headers = new Map<string, string>();
      for (const line of lines) {
        const colon = line.indexOf(":");
        headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
      }
      const length = Number(headers.get("content-length") ?? "0");
      if (received.length < end + 4 + length) return;
      done = true;
      resolve({ requestLine, headers, body: received.subarray(end + 4, end + 4 + length) });
    });
    socket.on("close", () => {
      if (!done) reject(new Error("closed before the request was complete"));
    });
  });
}

beforeAll(async () => {
  server = createServer((socket) => {
    // Every write leaves as its own segment, so the reader really sees the pieces.
    socket.setNoDelay(true);
    // The reader may close first (an error, a cancellation); later writes fail quietly.
    socket.on("error", () => undefined);
    let closed = false;
    const conn: Connection = {
      socket,
      request: readRequest(socket),
      closed: new Promise((resolve) => socket.once("close", () => resolve())),
      isClosed: () => closed,
    };
    conn.request.catch(() => undefined);
    socket.once("close", () => (closed = true));
    connections.push(conn);
    void responder(conn).catch(() => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const c of connections) c.socket.destroy();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  for (const c of connections) c.socket.destroy();
  connections = [];
});

// ---- response bytes ----

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const tick = () => new Promise((resolve) => setImmediate(resolve));

function frame(flags: number, payload: Uint8Array): Buffer {
  const header = Buffer.alloc(5);
  header[0] = flags;
  header.writeUInt32BE(payload.length, 1);
  return Buffer.concat([header, payload]);
}
const messageFrame = (chunk: Uint8Array) => frame(0, new GetInvoicePdfResponse({ chunk }).toBinary());
const trailerFrame = (fields: string) => frame(0x80, Buffer.from(fields, "utf8"));
const OK_TRAILER = trailerFrame("grpc-status: 0\r\n");

type Framing = "chunked" | "length" | "close";

/** A chunked body: `body` cut into chunks of the given sizes (cycled), then the last chunk. */
function chunked(body: Buffer, sizes: number[], extension = "", trailerFields = ""): Buffer {
  const parts: Buffer[] = [];
  for (let at = 0, i = 0; at < body.length; i++) {
    const size = Math.min(sizes[i % sizes.length] ?? 1, body.length - at);
    parts.push(Buffer.from(`${size.toString(16)}${extension}\r\n`), body.subarray(at, at + size), Buffer.from("\r\n"));
    at += size;
  }
  parts.push(Buffer.from(`0${extension}\r\n${trailerFields}\r\n`));
  return Buffer.concat(parts);
}

interface ResponseSpec {
  body: Buffer;
  framing: Framing;
  chunkSizes?: number[];
  chunkExtension?: string;
  httpTrailerFields?: string;
  interim?: boolean;
  status?: string;
  extraHeaders?: string;
  contentType?: string;
}

function response(spec: ResponseSpec): Buffer {
  const interim = spec.interim ? "HTTP/1.1 100 Continue\r\n\r\n" : "";
  let head = `${interim}HTTP/1.1 ${spec.status ?? "200 OK"}\r\nContent-Type: ${spec.contentType ?? "application/grpc-web+proto"}\r\n${spec.extraHeaders ?? ""}`;
  let body = spec.body;
  if (spec.framing === "chunked") {
    head += "Transfer-Encoding: chunked\r\n";
    body = chunked(spec.body, spec.chunkSizes ?? [spec.body.length || 1], spec.chunkExtension, spec.httpTrailerFields);
  } else if (spec.framing === "length") {
    head += `Content-Length: ${spec.body.length}\r\n`;
  }
  return Buffer.concat([Buffer.from(`${head}\r\n`, "latin1"), body]);
}

/** The bytes of `bytes` in pieces cut at `cuts`, with a pause after each piece. */
async function writeInPieces(socket: Socket, bytes: Buffer, cuts: number[], pause: () => Promise<unknown> = tick): Promise<void> {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  let from = 0;
  for (const to of [...points, bytes.length]) {
    if (socket.destroyed) return;
    if (to > from) socket.write(bytes.subarray(from, to));
    from = to;
    await pause();
  }
}

/** Answers with `bytes` (after the whole request arrived), then ends the connection if `end`. */
function answer(bytes: Buffer, options: { cuts?: number[]; pause?: () => Promise<unknown>; end?: boolean } = {}): Responder {
  return async (conn) => {
    await conn.request;
    await writeInPieces(conn.socket, bytes, options.cuts ?? [], options.pause);
    if (options.end) conn.socket.end();
  };
}

// ---- the client side ----

function chunkOf(message: AnyMessage): Uint8Array {
  const chunk: unknown = message["chunk"];
  if (!(chunk instanceof Uint8Array)) throw new Error("a GetInvoicePdfResponse without a chunk");
  return chunk;
}

interface Outcome {
  chunks: Uint8Array[];
  trailer?: Headers;
  error?: unknown;
}

/** Runs the call to the end, copying each (borrowed) chunk before asking for the next. */
async function run(options: { signal?: AbortSignal; timeoutMs?: number; header?: HeadersInit; onChunk?: (index: number) => Promise<unknown> | void } = {}): Promise<Outcome> {
  const chunks: Uint8Array[] = [];
  try {
    const res = await streamBorrowingMessages(baseUrl, BillingService, METHOD, options.signal, options.timeoutMs, options.header, createAsyncIterable([REQUEST]));
    for await (const message of res.message) {
      chunks.push(chunkOf(message).slice());
      await options.onChunk?.(chunks.length - 1);
    }
    return { chunks, trailer: res.trailer };
  } catch (error) {
    return { chunks, error };
  }
}

/** The server's side of the (only) connection of this run closed, within a second. */
async function expectServerSocketClosed(): Promise<void> {
  expect(connections).toHaveLength(1);
  const conn = connections[0]!;
  await Promise.race([conn.closed, sleep(1_000)]);
  expect(conn.isClosed(), "the connection is still open").toBe(true);
}

function expectConnectError(outcome: Outcome, code: Code, message?: RegExp | string): ConnectError {
  expect(outcome.error, `expected ${Code[code]}, got ${outcome.chunks.length} chunks and success`).toBeInstanceOf(ConnectError);
  const err = outcome.error as ConnectError;
  expect(Code[err.code], err.message).toBe(Code[code]);
  if (typeof message === "string") expect(err.rawMessage).toBe(message);
  else if (message) expect(err.rawMessage).toMatch(message);
  return err;
}

const bytesOf = (...chunks: (number | string)[]) => Buffer.concat(chunks.map((c) => (typeof c === "number" ? Buffer.from([c]) : Buffer.from(c, "latin1"))));
const payload = (n: number, seed = 1) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

// ---- 1. valid responses in arbitrary pieces ----

describe("valid responses, cut anywhere", () => {
  const chunkArb = fc.oneof({ weight: 1, arbitrary: fc.constant(new Uint8Array(0)) }, { weight: 4, arbitrary: fc.uint8Array({ maxLength: 200 }) });
  const specArb = fc.record({
    chunks: fc.oneof(fc.array(chunkArb, { maxLength: 3 }), fc.array(chunkArb, { minLength: 4, maxLength: 16 })),
    framing: fc.constantFrom<Framing>("chunked", "length", "close"),
    interim: fc.boolean(),
    chunkSizes: fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 8 }),
    chunkExtension: fc.constantFrom("", ";ext=1", " ;a=b;c"),
    httpTrailerFields: fc.constantFrom("", "X-Checksum: abc\r\n"),
    headerCase: fc.constantFrom<(s: string) => string>((s) => s, (s) => s.toUpperCase(), (s) => s.toLowerCase()),
    trailerExtra: fc.constantFrom("", "grpc-message: \r\nx-request-id: r-1\r\n"),
    cuts: fc.array(fc.nat({ max: 100_000 }), { maxLength: 40 }),
    timerPause: fc.boolean(),
  });

  it("delivers exactly the messages sent, for any cut points and framing (fast-check, 150 runs)", { timeout: 30_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(specArb, async (s) => {
        for (const c of connections) c.socket.destroy();
        connections = [];
        const body = Buffer.concat([...s.chunks.map(messageFrame), trailerFrame(`grpc-status: 0\r\n${s.trailerExtra}`)]);
        let bytes = response({
          body,
          framing: s.framing,
          chunkSizes: s.chunkSizes,
          chunkExtension: s.chunkExtension,
          httpTrailerFields: s.httpTrailerFields,
          interim: s.interim,
        });
        // Header names are case-insensitive: the reader must find them in any case.
        bytes = Buffer.from(bytes.toString("latin1").replace(/(Content-Type|Transfer-Encoding|Content-Length)/g, (m) => s.headerCase(m)), "latin1");
        responder = answer(bytes, { cuts: s.cuts, pause: s.timerPause ? () => sleep(0) : tick, end: s.framing === "close" });
        const outcome = await run();
        expect(outcome.error).toBeUndefined();
        expect(outcome.chunks.map((c) => Buffer.from(c).toString("hex"))).toEqual(s.chunks.map((c) => Buffer.from(c).toString("hex")));
        expect(outcome.trailer?.get("grpc-status")).toBe("0");
        if (s.trailerExtra) expect(outcome.trailer?.get("x-request-id")).toBe("r-1");
        await expectServerSocketClosed();
      }),
      { seed: SEED, numRuns: 150 },
    );
  });

  // Every cut point exhaustively, for one small response per framing: one byte per write.
  for (const framing of ["chunked", "length", "close"] as const) {
    it(`reads a ${framing} response written one byte at a time (100 Continue first, empty and non-empty messages)`, { timeout: BOUND_MS }, async () => {
      const chunks = [payload(3), new Uint8Array(0), payload(20, 7)];
      const body = Buffer.concat([...chunks.map(messageFrame), OK_TRAILER]);
      const bytes = response({ body, framing, chunkSizes: [4, 9, 1], chunkExtension: ";x", interim: true });
      responder = answer(bytes, { cuts: Array.from({ length: bytes.length }, (_, i) => i), end: framing === "close" });
      const outcome = await run();
      expect(outcome.error).toBeUndefined();
      expect(outcome.chunks).toEqual(chunks);
      await expectServerSocketClosed();
    });
  }

  it("reads a response with no messages (only the trailer), in every framing", { timeout: BOUND_MS }, async () => {
    for (const framing of ["chunked", "length", "close"] as const) {
      for (const c of connections) c.socket.destroy();
      connections = [];
      responder = answer(response({ body: OK_TRAILER, framing, chunkSizes: [2] }), { cuts: [3, 10, 30], end: framing === "close" });
      const outcome = await run();
      expect(outcome.error, framing).toBeUndefined();
      expect(outcome.chunks).toEqual([]);
      await expectServerSocketClosed();
    }
  });

  it("reads many messages and ones larger than the read, inbox and initial frame buffers", { timeout: BOUND_MS }, async () => {
    // 300 small messages, then messages of 200 KiB and 600 KiB: the frame buffer (128 KiB)
    // must grow, and the inbox (256 KiB high water) must pause and resume the socket.
    const chunks = [...Array.from({ length: 300 }, (_, i) => payload(i % 17, i)), payload(200 * 1024, 3), payload(600 * 1024, 5), payload(10, 9)];
    const body = Buffer.concat([...chunks.map(messageFrame), OK_TRAILER]);
    responder = answer(response({ body, framing: "chunked", chunkSizes: [70_000, 13, 100_001] }), { cuts: [5, 1000, 300_000, 700_000] });
    // A slow consumer now and then: the server's writes must wait for it (backpressure).
    const outcome = await run({ onChunk: (i) => (i % 100 === 0 ? sleep(5) : undefined) });
    expect(outcome.error).toBeUndefined();
    expect(outcome.chunks.length).toBe(chunks.length);
    outcome.chunks.forEach((c, i) => expect(Buffer.compare(c, chunks[i]!), `message ${i}`).toBe(0));
    await expectServerSocketClosed();
  });

  it("skips several interim responses, 100 Continue and 103 Early Hints with fields", { timeout: BOUND_MS }, async () => {
    const body = Buffer.concat([messageFrame(payload(9)), OK_TRAILER]);
    const bytes = Buffer.concat([
      Buffer.from("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>; rel=preload\r\n\r\n"),
      response({ body, framing: "length" }),
    ]);
    responder = answer(bytes, { cuts: [20, 26, 40] });
    const outcome = await run();
    expect(outcome.error).toBeUndefined();
    expect(outcome.chunks).toEqual([payload(9)]);
  });
});

// ---- 2. gRPC status ----

describe("gRPC status", () => {
  it("turns a non-zero grpc-status in the trailer into that ConnectError, grpc-message percent-decoded (fast-check, 40 runs)", { timeout: 20_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 16 }),
        fc.string({ unit: "grapheme", maxLength: 40 }),
        fc.constantFrom<Framing>("chunked", "length", "close"),
        fc.array(fc.nat({ max: 1000 }), { maxLength: 10 }),
        async (code, text, framing, cuts) => {
          for (const c of connections) c.socket.destroy();
          connections = [];
          const body = Buffer.concat([messageFrame(payload(5)), trailerFrame(`grpc-status: ${code}\r\ngrpc-message: ${encodeURIComponent(text)}\r\n`)]);
          responder = answer(response({ body, framing, chunkSizes: [3, 7] }), { cuts, end: framing === "close" });
          const outcome = await run();
          // The message before the trailer was delivered; then the error, not a success.
          expect(outcome.chunks).toEqual([payload(5)]);
          // Headers trims values; a message is compared as the header carries it.
          expectConnectError(outcome, code, text.trim() === text ? text : undefined);
          await expectServerSocketClosed();
        },
      ),
      { seed: SEED, numRuns: 40 },
    );
  });

  it("turns a grpc-status in the HTTP headers (trailers-only) into that error", { timeout: BOUND_MS }, async () => {
    responder = answer(response({ body: Buffer.alloc(0), framing: "length", extraHeaders: "Grpc-Status: 5\r\nGrpc-Message: invoice%20inv_1%20not%20found\r\n" }));
    expectConnectError(await run(), Code.NotFound, "invoice inv_1 not found");
    await expectServerSocketClosed();
  });

  it("ends normally on a trailers-only grpc-status 0 with an empty body", { timeout: BOUND_MS }, async () => {
    responder = answer(response({ body: Buffer.alloc(0), framing: "chunked", extraHeaders: "grpc-status: 0\r\n" }));
    const outcome = await run();
    expect(outcome.error).toBeUndefined();
    expect(outcome.chunks).toEqual([]);
  });

  it("refuses data after a trailers-only grpc-status 0", { timeout: BOUND_MS }, async () => {
    responder = answer(response({ body: Buffer.concat([messageFrame(payload(3)), OK_TRAILER]), framing: "length", extraHeaders: "grpc-status: 0\r\n" }));
    expectConnectError(await run(), Code.Internal, /data after a trailers-only/);
  });

  it("refuses a trailer frame without grpc-status", { timeout: BOUND_MS }, async () => {
    responder = answer(response({ body: Buffer.concat([messageFrame(payload(3)), trailerFrame("x-other: 1\r\n")]), framing: "length" }));
    expectConnectError(await run(), Code.Internal, /missing status/);
  });
});

// ---- 3. malformed and truncated responses ----

interface Malformed {
  name: string;
  bytes: Buffer;
  /** The server closes its side after the bytes (otherwise it keeps the connection open). */
  end: boolean;
  code: Code;
  message?: RegExp;
}

const HEAD_CHUNKED = "HTTP/1.1 200 OK\r\nContent-Type: application/grpc-web+proto\r\nTransfer-Encoding: chunked\r\n\r\n";
const HEAD_CLOSE = "HTTP/1.1 200 OK\r\nContent-Type: application/grpc-web+proto\r\n\r\n";
const M1 = messageFrame(payload(12));
const OK_BODY = Buffer.concat([M1, OK_TRAILER]);

const malformed: Malformed[] = [
  { name: "closed before any byte", bytes: Buffer.alloc(0), end: true, code: Code.Unavailable },
  { name: "closed inside the status line", bytes: bytesOf("HTTP/1.1 20"), end: true, code: Code.Unavailable },
  { name: "closed inside a header name", bytes: bytesOf("HTTP/1.1 200 OK\r\nContent-Ty"), end: true, code: Code.Unavailable },
  { name: "closed inside the head's final CRLF", bytes: bytesOf(HEAD_CLOSE.slice(0, -1)), end: true, code: Code.Unavailable },
  { name: "closed after a 100 Continue", bytes: bytesOf("HTTP/1.1 100 Continue\r\n\r\n"), end: true, code: Code.Unavailable },
  { name: "closed inside a frame header (close-delimited)", bytes: Buffer.concat([bytesOf(HEAD_CLOSE), M1.subarray(0, 3)]), end: true, code: Code.Unavailable },
  { name: "closed inside a frame's payload (close-delimited)", bytes: Buffer.concat([bytesOf(HEAD_CLOSE), M1.subarray(0, 9)]), end: true, code: Code.Unavailable },
  { name: "closed inside the trailer frame (close-delimited)", bytes: Buffer.concat([bytesOf(HEAD_CLOSE), OK_BODY.subarray(0, OK_BODY.length - 4)]), end: true, code: Code.Unavailable },
  { name: "closed before the trailer (close-delimited)", bytes: Buffer.concat([bytesOf(HEAD_CLOSE), M1]), end: true, code: Code.Internal, message: /without a gRPC-web trailer/ },
  { name: "closed inside a chunk", bytes: Buffer.concat([bytesOf(HEAD_CHUNKED), chunked(OK_BODY, [64]).subarray(0, 20)]), end: true, code: Code.Unavailable },
  { name: "closed inside a chunk-size line", bytes: bytesOf(HEAD_CHUNKED, "1"), end: true, code: Code.Unavailable },
  { name: "closed inside a chunk's CRLF", bytes: Buffer.concat([bytesOf(HEAD_CHUNKED), chunked(M1, [M1.length]).subarray(0, 4 + M1.length + 1)]), end: true, code: Code.Unavailable },
  { name: "closed between chunks, before the trailer", bytes: Buffer.concat([bytesOf(HEAD_CHUNKED), chunked(M1, [5]).subarray(0, -5)]), end: true, code: Code.Unavailable },
  { name: "a chunked body that ends without a trailer", bytes: Buffer.concat([bytesOf(HEAD_CHUNKED), chunked(M1, [5])]), end: false, code: Code.Internal, message: /without a gRPC-web trailer/ },
  { name: "an empty chunked body", bytes: bytesOf(HEAD_CHUNKED, "0\r\n\r\n"), end: false, code: Code.Internal, message: /without a gRPC-web trailer/ },
  { name: "a garbage status line", bytes: bytesOf("HTTX/1.1 200 OK\r\n\r\n"), end: false, code: Code.Unknown, message: /not an HTTP\/1\.1 response/ },
  { name: "a four-digit status", bytes: bytesOf("HTTP/1.1 2000 OK\r\n\r\n"), end: false, code: Code.Unknown, message: /not an HTTP\/1\.1 response/ },
  { name: "an HTTP/2 status line", bytes: bytesOf("HTTP/2 200\r\n\r\n"), end: false, code: Code.Unknown, message: /not an HTTP\/1\.1 response/ },
  { name: "binary garbage instead of a head", bytes: Buffer.concat([Buffer.from([0, 0, 0, 0, 5, 0x80]), bytesOf("\r\n\r\n")]), end: false, code: Code.Unknown },
  { name: "a head over 16 KiB, never ending", bytes: bytesOf("HTTP/1.1 200 OK\r\n", `X-Pad: ${"a".repeat(17 * 1024)}`), end: false, code: Code.Internal, message: /head too large/ },
  { name: "a complete head over 16 KiB", bytes: bytesOf("HTTP/1.1 200 OK\r\n", `X-Pad: ${"a".repeat(17 * 1024)}\r\n\r\n`), end: false, code: Code.Internal, message: /head too large/ },
  { name: "a chunk size that is not hex", bytes: bytesOf(HEAD_CHUNKED, "zz\r\n"), end: false, code: Code.Internal, message: /bad chunk size/ },
  { name: "a negative chunk size", bytes: bytesOf(HEAD_CHUNKED, "-5\r\n"), end: false, code: Code.Internal, message: /bad chunk size/ },
  { name: "a chunk size of nine hex digits", bytes: bytesOf(HEAD_CHUNKED, "100000000\r\n"), end: false, code: Code.Internal, message: /bad chunk size/ },
  { name: "an empty chunk-size line", bytes: bytesOf(HEAD_CHUNKED, "\r\n"), end: false, code: Code.Internal, message: /bad chunk size/ },
  { name: "a chunk-size line over the limit, never ending", bytes: bytesOf(HEAD_CHUNKED, `5;${"e".repeat(2000)}`), end: false, code: Code.Internal, message: /chunk line too long/ },
  { name: "a complete chunk-size line over the limit", bytes: bytesOf(HEAD_CHUNKED, `5;${"e".repeat(2000)}\r\n`), end: false, code: Code.Internal, message: /chunk line too long/ },
  { name: "a chunk not followed by CRLF", bytes: Buffer.concat([bytesOf(HEAD_CHUNKED, "5\r\n"), M1.subarray(0, 5), bytesOf("XY")]), end: false, code: Code.Internal, message: /bad chunk terminator/ },
  { name: "a frame length above the message cap (16 MiB + 1)", bytes: Buffer.concat([bytesOf(HEAD_CLOSE), Buffer.from([0, 0x01, 0, 0, 1])]), end: false, code: Code.ResourceExhausted },
  { name: "a frame length of 4 GiB - 1", bytes: Buffer.concat([bytesOf(HEAD_CHUNKED, "5\r\n"), Buffer.from([0, 0xff, 0xff, 0xff, 0xff])]), end: false, code: Code.ResourceExhausted },
  { name: "a compressed-flag frame", bytes: Buffer.concat([bytesOf(HEAD_CLOSE), frame(0x01, payload(4)), OK_TRAILER]), end: true, code: Code.Internal, message: /compressed/ },
  { name: "a message that is not protobuf", bytes: Buffer.concat([bytesOf(HEAD_CLOSE), frame(0, Buffer.from([0x0a, 0x7f, 1])), OK_TRAILER]), end: true, code: Code.Internal },
  { name: "a trailer that is not header fields", bytes: Buffer.concat([bytesOf(HEAD_CLOSE), trailerFrame("grpc status: 0\r\n")]), end: true, code: Code.Internal },
  { name: "a grpc-message in the trailer that is not percent-encoding", bytes: Buffer.concat([bytesOf(HEAD_CLOSE), trailerFrame("grpc-status: 5\r\ngrpc-message: 100%\r\n")]), end: true, code: Code.Internal },
  {
    name: "a trailers-only grpc-message that is not percent-encoding",
    bytes: bytesOf(HEAD_CLOSE.replace("\r\n\r\n", "\r\ngrpc-status: 5\r\ngrpc-message: %E0%A4%A\r\nContent-Length: 0\r\n\r\n")),
    end: false,
    code: Code.Internal,
  },
  { name: "a Content-Length that ends inside a frame", bytes: Buffer.concat([bytesOf(HEAD_CLOSE.replace("\r\n\r\n", `\r\nContent-Length: ${M1.length - 2}\r\n\r\n`)), OK_BODY]), end: false, code: Code.Unavailable },
  { name: "a Content-Length that ends before the trailer", bytes: Buffer.concat([bytesOf(HEAD_CLOSE.replace("\r\n\r\n", `\r\nContent-Length: ${M1.length}\r\n\r\n`)), OK_BODY]), end: false, code: Code.Internal, message: /without a gRPC-web trailer/ },
  { name: "a Content-Length that is not a number", bytes: bytesOf(HEAD_CLOSE.replace("\r\n\r\n", "\r\nContent-Length: 12x\r\n\r\n")), end: false, code: Code.Internal, message: /bad content-length/ },
  { name: "two different Content-Lengths", bytes: bytesOf(HEAD_CLOSE.replace("\r\n\r\n", "\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n")), end: false, code: Code.Internal, message: /bad content-length/ },
  { name: "a content type that is not gRPC-web", bytes: bytesOf("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5\r\n\r\nhello"), end: false, code: Code.Unknown, message: /content type/ },
  { name: "HTTP 400 without a gRPC status", bytes: bytesOf("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"), end: false, code: Code.Internal, message: /HTTP 400/ },
  { name: "HTTP 401 without a gRPC status", bytes: bytesOf("HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n"), end: false, code: Code.Unauthenticated },
  { name: "HTTP 404 with an HTML body", bytes: bytesOf("HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\n\r\n<html>"), end: true, code: Code.Unimplemented },
  { name: "HTTP 429", bytes: bytesOf("HTTP/1.1 429 Too Many Requests\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"), end: false, code: Code.Unavailable },
  { name: "HTTP 500", bytes: bytesOf("HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n"), end: false, code: Code.Unknown },
  { name: "HTTP 503 without a reason phrase", bytes: bytesOf("HTTP/1.1 503\r\nContent-Length: 0\r\n\r\n"), end: false, code: Code.Unavailable },
  {
    name: "HTTP 403 with a gRPC status and message (the HTTP status decides the code)",
    bytes: bytesOf("HTTP/1.1 403 Forbidden\r\ngrpc-status: 7\r\ngrpc-message: not%20an%20owner\r\nContent-Length: 0\r\n\r\n"),
    end: false,
    code: Code.PermissionDenied,
    message: /^not an owner$/,
  },
  {
    name: "HTTP 502 with a gRPC status",
    bytes: bytesOf("HTTP/1.1 502 Bad Gateway\r\ngrpc-status: 14\r\ngrpc-message: upstream%20gone\r\nContent-Length: 0\r\n\r\n"),
    end: false,
    code: Code.Unavailable,
    message: /^upstream gone$/,
  },
  { name: "101 Switching Protocols", bytes: bytesOf("HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n"), end: false, code: Code.Unknown },
];

describe("malformed responses", () => {
  for (const m of malformed) {
    it(`${m.name}: ${Code[m.code]}`, { timeout: BOUND_MS }, async () => {
      // The same bytes at once and one byte at a time: the verdict must not depend on how they arrive.
      for (const cuts of [[], Array.from({ length: Math.min(m.bytes.length, 400) }, (_, i) => i)]) {
        for (const c of connections) c.socket.destroy();
        connections = [];
        responder = answer(m.bytes, { cuts, end: m.end });
        const outcome = await run();
        expectConnectError(outcome, m.code, m.message);
        await expectServerSocketClosed();
      }
    });
  }

  it("applies the 16 KiB head and 1 KiB chunk-line limits by length alone, however the bytes are cut (fast-check, 60 runs)", { timeout: 20_000 }, async () => {
    // Around each limit, by a few bytes: at or under it the response is read, over it refused;
    // the cut points (one read or many, a cut inside the final CRLF) must not change that.
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.integer({ min: -4, max: 4 }), fc.array(fc.nat({ max: 20_000 }), { maxLength: 6 }), async (inHead, over, cuts) => {
        for (const c of connections) c.socket.destroy();
        connections = [];
        let bytes: Buffer;
        const limit = inHead ? 16 * 1024 : 1024;
        if (inHead) {
          const start = `HTTP/1.1 200 OK\r\nContent-Type: application/grpc-web+proto\r\nContent-Length: ${OK_BODY.length}\r\nX-Pad: `;
          bytes = Buffer.concat([bytesOf(start, "p".repeat(limit + over - start.length), "\r\n\r\n"), OK_BODY]);
        } else {
          const start = `${OK_BODY.length.toString(16)};x=`;
          bytes = Buffer.concat([bytesOf(HEAD_CHUNKED, start, "e".repeat(limit + over - start.length), "\r\n"), OK_BODY, bytesOf("\r\n0\r\n\r\n")]);
        }
        responder = answer(bytes, { cuts });
        const outcome = await run();
        if (over <= 0) {
          expect(outcome.error).toBeUndefined();
          expect(outcome.chunks).toEqual([payload(12)]);
        } else {
          expectConnectError(outcome, Code.Internal, inHead ? /head too large/ : /chunk line too long/);
        }
        await expectServerSocketClosed();
      }),
      { seed: SEED, numRuns: 60 },
    );
  });

  it("refuses a frame length above the cap without allocating it", { timeout: BOUND_MS }, async () => {
    // The reader allocates its buffers with Buffer.allocUnsafe; a 2 GiB frame must not reach it.
    const allocations: number[] = [];
    const allocUnsafe = Buffer.allocUnsafe.bind(Buffer);
    const spy = vi.spyOn(Buffer, "allocUnsafe").mockImplementation((size: number) => (allocations.push(size), allocUnsafe(size)));
    const externalBefore = process.memoryUsage().arrayBuffers;
    try {
      responder = answer(Buffer.concat([bytesOf(HEAD_CLOSE), Buffer.from([0, 0x7f, 0xff, 0xff, 0xff])]));
      expectConnectError(await run(), Code.ResourceExhausted, /larger than the limit/);
      expect(process.memoryUsage().arrayBuffers - externalBefore).toBeLessThan(64 * 1024 * 1024);
    } finally {
      spy.mockRestore();
    }
    expect(Math.max(0, ...allocations)).toBeLessThan(16 * 1024 * 1024);
  });

  it("reaches a verdict on any bytes after a valid head (fast-check, 150 runs)", { timeout: 30_000 }, async () => {
    // Random garbage (and random prefixes of valid bodies) after the head: an error or a
    // success, never a hang; and never a success the bytes do not hold.
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(HEAD_CHUNKED, HEAD_CLOSE),
        fc.oneof(fc.uint8Array({ maxLength: 120 }), fc.nat({ max: OK_BODY.length }).map((n) => Uint8Array.from(OK_BODY.subarray(0, n)))),
        fc.boolean(),
        fc.array(fc.nat({ max: 200 }), { maxLength: 8 }),
        async (head, garbage, encodeChunks, cuts) => {
          for (const c of connections) c.socket.destroy();
          connections = [];
          // In a chunked body the bytes go either chunk-encoded or raw (as garbage chunk lines).
          const body = head === HEAD_CHUNKED && encodeChunks ? chunked(Buffer.from(garbage), [7, 2]) : Buffer.from(garbage);
          responder = answer(Buffer.concat([bytesOf(head), body]), { cuts, end: true });
          const outcome = await run({ timeoutMs: 2_000 });
          if (outcome.error === undefined) {
            // Only a body that holds a complete OK trailer may succeed.
            expect(Buffer.from(garbage).includes(OK_TRAILER)).toBe(true);
          } else {
            expect(outcome.error).toBeInstanceOf(ConnectError);
            expect((outcome.error as ConnectError).code).not.toBe(Code.DeadlineExceeded);
          }
          await expectServerSocketClosed();
        },
      ),
      { seed: SEED, numRuns: 150 },
    );
  });
});

// ---- 4. cancellation and deadlines ----

/** Writes the head and one message, then stalls with the connection open. */
const stallAfterOneMessage = answer(Buffer.concat([bytesOf(HEAD_CHUNKED), chunked(M1, [M1.length]).subarray(0, -5)]));

describe("cancellation and deadlines", () => {
  it("ends with Canceled promptly when the signal aborts mid-stream", { timeout: BOUND_MS }, async () => {
    responder = stallAfterOneMessage;
    const controller = new AbortController();
    let abortedAt = 0;
    const outcome = await run({
      signal: controller.signal,
      onChunk: () => {
        setTimeout(() => ((abortedAt = Date.now()), controller.abort()), 50);
      },
    });
    // The server stalls for good: ending at all proves the abort; the bound, a few seconds on a
    // shared machine, only catches a reader that ends for some other reason later.
    expect(Date.now() - abortedAt).toBeLessThan(4_000);
    expect(outcome.chunks).toHaveLength(1);
    expectConnectError(outcome, Code.Canceled);
    await expectServerSocketClosed();
  });

  it("ends with Canceled when the signal aborts while waiting for the head", { timeout: BOUND_MS }, async () => {
    responder = async (conn) => void (await conn.request);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    expectConnectError(await run({ signal: controller.signal }), Code.Canceled);
    await expectServerSocketClosed();
  });

  it("ends with Canceled even when the rest of the response is already buffered", { timeout: BOUND_MS }, async () => {
    // The whole response arrives at once; the consumer aborts after the first message. Like
    // connect-web (whose aborted fetch body drops what it buffered), nothing more is delivered
    // and the call does not end as a success.
    const body = Buffer.concat([M1, messageFrame(payload(4)), OK_TRAILER]);
    responder = answer(response({ body, framing: "length" }));
    const controller = new AbortController();
    const outcome = await run({
      signal: controller.signal,
      onChunk: async () => {
        await sleep(50); // the rest has arrived by now
        controller.abort();
      },
    });
    expect(outcome.chunks).toHaveLength(1);
    expectConnectError(outcome, Code.Canceled);
  });

  it("fails at once with Canceled for a signal aborted before the call, leaving no timer behind", { timeout: BOUND_MS }, async () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
    responder = answer(response({ body: OK_BODY, framing: "length" }));
    const before = timers();
    expectConnectError(await run({ signal: AbortSignal.abort(), timeoutMs: 60_000 }), Code.Canceled);
    // The 60 s deadline timer must not outlive the call (it would hold the process open).
    expect(timers()).toBeLessThanOrEqual(before);
  });

  it("ends with DeadlineExceeded when timeoutMs passes while the server stalls mid-stream", { timeout: BOUND_MS }, async () => {
    responder = stallAfterOneMessage;
    const started = Date.now();
    const outcome = await run({ timeoutMs: 200 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(Date.now() - started).toBeLessThan(4_000); // the server stalls for good
    expect(outcome.chunks).toHaveLength(1);
    expectConnectError(outcome, Code.DeadlineExceeded);
    await expectServerSocketClosed();
  });

  it("ends with DeadlineExceeded when the server never answers", { timeout: BOUND_MS }, async () => {
    responder = async (conn) => void (await conn.request);
    const started = Date.now();
    expectConnectError(await run({ timeoutMs: 150 }), Code.DeadlineExceeded);
    expect(Date.now() - started).toBeLessThan(4_000); // the server stalls for good
    await expectServerSocketClosed();
  });

  it("ends with DeadlineExceeded when the server stalls inside the head, a chunk line, or a frame header", { timeout: BOUND_MS }, async () => {
    const stalls = [bytesOf("HTTP/1.1 200 OK\r\nContent-Ty"), bytesOf(HEAD_CHUNKED, "1"), Buffer.concat([bytesOf(HEAD_CLOSE), M1.subarray(0, 2)])];
    for (const bytes of stalls) {
      for (const c of connections) c.socket.destroy();
      connections = [];
      responder = answer(bytes);
      expectConnectError(await run({ timeoutMs: 100 }), Code.DeadlineExceeded);
      await expectServerSocketClosed();
    }
  });

  it("ends with DeadlineExceeded when the deadline passes while the consumer is slow, even with the response buffered", { timeout: BOUND_MS }, async () => {
    responder = answer(response({ body: Buffer.concat([M1, messageFrame(payload(4)), OK_TRAILER]), framing: "chunked" }));
    const outcome = await run({ timeoutMs: 100, onChunk: () => sleep(250) });
    expect(outcome.chunks).toHaveLength(1);
    expectConnectError(outcome, Code.DeadlineExceeded);
  });

  it("closes the connection when the consumer stops iterating early", { timeout: BOUND_MS }, async () => {
    responder = stallAfterOneMessage;
    const res = await streamBorrowingMessages(baseUrl, BillingService, METHOD, undefined, undefined, undefined, createAsyncIterable([REQUEST]));
    for await (const message of res.message) {
      expect(chunkOf(message)).toEqual(payload(12));
      break;
    }
    await expectServerSocketClosed();
  });

  it("maps a connection reset mid-stream to Unavailable", { timeout: BOUND_MS }, async () => {
    responder = async (conn) => {
      await stallAfterOneMessage(conn);
      await sleep(30);
      conn.socket.resetAndDestroy();
    };
    const outcome = await run();
    expect(outcome.chunks).toHaveLength(1);
    expectConnectError(outcome, Code.Unavailable);
  });
});

// ---- 5. the request ----

describe("the request", () => {
  it("is a POST of the gRPC-web envelope to the method's path, with the caller's header and grpc-timeout", { timeout: BOUND_MS }, async () => {
    responder = answer(response({ body: OK_TRAILER, framing: "length" }));
    const outcome = await run({ timeoutMs: 4_500, header: { authorization: "Bearer tok.en", "x-custom": "v" } });
    expect(outcome.error).toBeUndefined();
    const req = await connections[0]!.request;
    expect(req.requestLine).toBe("POST /viam.app.v1.BillingService/GetInvoicePdf HTTP/1.1");
    expect(req.headers.get("content-type")).toBe("application/grpc-web+proto");
    expect(req.headers.get("x-grpc-web")).toBe("1");
    expect(req.headers.get("authorization")).toBe("Bearer tok.en");
    expect(req.headers.get("x-custom")).toBe("v");
    expect(req.headers.get("grpc-timeout")).toBe("4500m");
    expect(req.headers.get("host")).toBe(new URL(baseUrl).host);
    expect(req.headers.get("connection")).toBe("close");
    expect(req.body).toEqual(Buffer.from(encodeEnvelope(0, new GetInvoicePdfRequest(REQUEST).toBinary())));
    // The envelope: flag 0, big-endian length, then the request message.
    expect(req.body[0]).toBe(0);
    expect(req.body.readUInt32BE(1)).toBe(req.body.length - 5);
    expect(GetInvoicePdfRequest.fromBinary(req.body.subarray(5))).toEqual(new GetInvoicePdfRequest(REQUEST));
  });

  it("has no grpc-timeout without timeoutMs, and keeps its own framing fields whatever the caller's header says", { timeout: BOUND_MS }, async () => {
    responder = answer(response({ body: OK_TRAILER, framing: "length" }));
    const outcome = await run({ header: { host: "evil.example", connection: "keep-alive", "content-length": "999", "transfer-encoding": "chunked" } });
    expect(outcome.error).toBeUndefined();
    const req = await connections[0]!.request;
    expect(req.headers.has("grpc-timeout")).toBe(false);
    expect(req.headers.get("host")).toBe(new URL(baseUrl).host);
    expect(req.headers.get("connection")).toBe("close");
    expect(req.headers.get("content-length")).toBe(String(req.body.length));
    expect(req.headers.has("transfer-encoding")).toBe(false);
  });
});
