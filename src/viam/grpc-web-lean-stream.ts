// A lean gRPC-web client for one server-streaming call over HTTP/1.1, for downloads that
// must not cost memory in proportion to their size (GetInvoicePdf). connect-web's transport
// reads through undici's fetch and its own envelope framing, which copy every ~64 KiB chunk
// into fresh ArrayBuffers; V8 reclaims that external memory only after tens of MiB, so a
// 48 MiB PDF raised the server's peak RSS by ~40 MiB (connect-node's reader is no better: it
// retains chunks, connectrpc/connect-es#1524). Here nothing is allocated per chunk:
// the socket reads into one reused buffer (net/tls `onread`), the HTTP body is copied into
// one reused inbox, each gRPC-web frame is assembled in one reused frame buffer, and each
// message is decoded from a view into that buffer (protobuf-es v1 decodes `bytes` fields as
// subarrays). Hence the contract of streamBorrowingMessages(): a message yielded is valid
// only until the next one is requested.
import { isIP, connect as netConnect } from "node:net";
import type { OnReadOpts, Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import type { ConnectionOptions } from "node:tls";
import type { Message, MethodInfo, PartialMessage, ServiceType } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import type { StreamResponse } from "@connectrpc/connect";
import { createMethodUrl, encodeEnvelope } from "@connectrpc/connect/protocol";
import { requestHeader, trailerFlag, trailerParse, validateResponse, validateTrailer } from "@connectrpc/connect/protocol-grpc-web";

/** Bytes the socket reads at a time (Node's own default read size). */
const READ_BUFFER_BYTES = 64 * 1024;
/** Unread response bytes at which reading pauses until the consumer catches up. */
const INBOX_HIGH_WATER_BYTES = 256 * 1024;
/** Room for the high water mark plus one read, so the inbox rarely has to grow. */
const INBOX_BYTES = INBOX_HIGH_WATER_BYTES + READ_BUFFER_BYTES;
const FRAME_HEADER_BYTES = 5;
/** A frame buffer this large holds the 64 KiB chunks Viam and the sandbox send; it grows for larger ones. */
const INITIAL_FRAME_BYTES = 128 * 1024;
/**
 * Refuse a single message larger than this: its buffer is allocated when the frame header
 * arrives, so a garbled or hostile length must not cost more. Viam sends 64 KiB chunks; gRPC's
 * own default limit is 4 MiB.
 */
const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
/** Response head (status line and headers) size limit, as in Node's own HTTP parser. */
const MAX_HEAD_BYTES = 16 * 1024;
/** Longest chunk-size line (with extensions) we accept in a chunked body. */
const MAX_CHUNK_LINE_BYTES = 1024;
/** gRPC-web frame flag: the payload is compressed (we never ask for compression). */
const COMPRESSED_FLAG = 0b00000001;

const CRLF = Buffer.from("\r\n");
const HEAD_END = Buffer.from("\r\n\r\n");

/**
 * One server-streaming call over gRPC-web (binary), like connect-web's transport.stream():
 * same request headers (including whatever the caller passes, e.g. the SDK's authorization),
 * grpc-timeout from `timeoutMs` plus a local timer, cancellation by `signal`, and the same
 * status handling (HTTP status, trailers-only responses, the trailer frame) through
 * @connectrpc/connect's own gRPC-web helpers, so errors are ConnectErrors with the same codes.
 *
 * BORROWED MESSAGES: each message yielded, and every `bytes` field in it, is a view into a
 * buffer this reader reuses. It is valid only until the consumer asks for the next message
 * (or ends the iteration); a consumer that keeps any of it must copy it first.
 *
 * The HTTP/1.1 connection is this call's own (Connection: close): it is closed when the
 * stream ends, fails, is cancelled, passes its deadline, or the consumer stops iterating.
 */
export async function streamBorrowingMessages<I extends Message<I>, O extends Message<O>>(
  baseUrl: string,
  service: ServiceType,
  method: MethodInfo<I, O>,
  signal: AbortSignal | undefined,
  timeoutMs: number | undefined,
  header: HeadersInit | undefined,
  input: AsyncIterable<PartialMessage<I>>,
): Promise<StreamResponse<I, O>> {
  // connect-web's reading of timeoutMs: absent or not positive means no deadline.
  const deadlineMs = timeoutMs !== undefined && timeoutMs > 0 ? timeoutMs : undefined;
  const request = await onlyRequest(method, input);
  const url = new URL(createMethodUrl(baseUrl, service, method));
  const exchange = new HttpExchange(url, requestHeader(true, deadlineMs, header, false), encodeEnvelope(0, request.toBinary()), signal, deadlineMs);
  try {
    const head = await exchange.responseHead();
    // Throws for non-2xx statuses (code from the HTTP status) and error statuses in the headers.
    const { foundStatus, headerError } = validateResponse(head.status, head.headers);
    if (headerError) throw headerError;
    const contentType = head.headers.get("content-type") ?? "";
    if (!foundStatus && !/^application\/grpc-web(\+proto)?\s*(;|$)/i.test(contentType)) {
      throw new ConnectError(`unexpected response content type "${contentType}" (HTTP ${head.status})`, Code.Unknown, head.headers);
    }
    const trailer = new Headers();
    return { stream: true, service, method, header: head.headers, trailer, message: readMessages(exchange, method, foundStatus, head.headers, trailer) };
  } catch (err) {
    exchange.close();
    // As connect's own transports do: every failure is a ConnectError (here a grpc-message
    // that is not valid percent-encoding made decodeURIComponent throw a URIError).
    throw ConnectError.from(err, Code.Internal);
  }
}

async function onlyRequest<I extends Message<I>, O extends Message<O>>(method: MethodInfo<I, O>, input: AsyncIterable<PartialMessage<I>>): Promise<I> {
  for await (const partial of input) return partial instanceof method.I ? partial : new method.I(partial);
  throw new ConnectError("missing request message", Code.Internal);
}

async function* readMessages<I extends Message<I>, O extends Message<O>>(
  exchange: HttpExchange,
  method: MethodInfo<I, O>,
  trailersOnly: boolean,
  header: Headers,
  trailerTarget: Headers,
): AsyncGenerator<O> {
  try {
    if (trailersOnly) {
      // A grpc-status in the headers (validated OK above) means no messages and no trailer.
      if ((await exchange.nextFrame()) !== undefined) throw new ConnectError("protocol error: data after a trailers-only response", Code.Internal);
      return;
    }
    for (;;) {
      const frame = await exchange.nextFrame();
      if (frame === undefined) throw new ConnectError("protocol error: the response ended without a gRPC-web trailer", Code.Internal);
      if ((frame.flags & trailerFlag) === trailerFlag) {
        const trailer = trailerParse(frame.data);
        // Throws the ConnectError of a non-OK grpc-status / grpc-message (or a missing status).
        validateTrailer(trailer, header);
        trailer.forEach((value, key) => trailerTarget.set(key, value));
        // The trailer ends the call; the connection is ours alone and closes below.
        return;
      }
      if ((frame.flags & COMPRESSED_FLAG) === COMPRESSED_FLAG) throw new ConnectError("protocol error: received unsupported compressed output", Code.Internal);
      yield method.O.fromBinary(frame.data);
    }
  } catch (err) {
    // Like connect's "parse binary" errors: a message protobuf cannot decode (RangeError), a
    // trailer field Headers refuses (TypeError), a grpc-message that is not valid
    // percent-encoding (URIError) end the call with a ConnectError, not a bare Error.
    throw ConnectError.from(err, Code.Internal);
  } finally {
    exchange.close();
  }
}

interface ResponseHead {
  status: number;
  headers: Headers;
}

/** How the response body is delimited (RFC 9112 section 6.3). */
type BodyFraming =
  | { kind: "chunked"; state: "size" | "data" | "data-end" | "trailer-fields" | "done"; chunkLeft: number }
  | { kind: "length"; left: number }
  | { kind: "until-close" };

/** What takeBody() found when it could copy nothing. */
const NEEDS_INPUT = 0;
const BODY_END = -1;

/**
 * One HTTP/1.1 request and its response on a connection of its own. The socket's read
 * callback only appends to the inbox (and pauses reading at the high water mark); all
 * parsing happens in the consumer's calls, which never hold a view into the inbox across
 * an await, so the callback may compact or grow it at any time.
 */
class HttpExchange {
  private readonly socket: Socket;
  private readonly readBuffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
  private inbox = Buffer.allocUnsafe(INBOX_BYTES);
  private inboxStart = 0;
  private inboxEnd = 0;
  private frame = Buffer.allocUnsafe(INITIAL_FRAME_BYTES);
  private framing: BodyFraming | undefined;
  /** The server closed its side: what is in the inbox is all there will be. */
  private inputEnded = false;
  private failure: ConnectError | undefined;
  /**
   * The caller's cancellation or the deadline. Unlike a network error, it also stops the
   * delivery of bytes already received: waitForInput() alone would notice it only when the
   * inbox ran dry, so a response already buffered was still delivered, trailer and all.
   */
  private stopped: ConnectError | undefined;
  private wakeReader: (() => void) | undefined;
  private readonly deadlineTimer: NodeJS.Timeout | undefined;
  private readonly onAbort: () => void;

  constructor(
    url: URL,
    header: Headers,
    body: Uint8Array,
    private readonly signal: AbortSignal | undefined,
    timeoutMs: number | undefined,
  ) {
    const secure = url.protocol === "https:";
    if (!secure && url.protocol !== "http:") throw new ConnectError(`unsupported URL scheme ${url.protocol}`, Code.Unimplemented);
    // URL.hostname keeps the brackets of an IPv6 literal; sockets want the bare address.
    const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
    const port = url.port ? Number(url.port) : secure ? 443 : 80;
    const onread: OnReadOpts = { buffer: this.readBuffer, callback: (bytes) => this.received(bytes) };
    this.socket = secure
      ? // Node's tls.connect takes onread like net.connect; @types/node leaves it out of ConnectionOptions.
        tlsConnect({ host, port, servername: isIP(host) ? undefined : host, ALPNProtocols: ["http/1.1"], onread } as ConnectionOptions)
      : netConnect({ host, port, onread });
    this.socket.setNoDelay(true);
    // The socket's error is kept as the cause: src/core/errors.ts tells a TLS certificate that
    // does not verify (its code) from an outage by it.
    this.socket.on("error", (err: NodeJS.ErrnoException) => this.fail(new ConnectError(`network error: ${err.code ?? err.message}`, Code.Unavailable, undefined, undefined, err)));
    this.socket.on("end", () => this.endOfInput());
    this.socket.on("close", () => this.endOfInput());
    this.socket.write(requestBytes(url, header, body));

    this.onAbort = () => this.stop(new ConnectError("the operation was aborted", Code.Canceled));
    if (signal?.aborted) this.onAbort();
    else signal?.addEventListener("abort", this.onAbort, { once: true });
    this.deadlineTimer =
      timeoutMs === undefined ? undefined : setTimeout(() => this.stop(new ConnectError(`the deadline of ${timeoutMs} ms passed`, Code.DeadlineExceeded)), timeoutMs);
  }

  /** Ends the exchange (idempotent): the connection is destroyed, timers and listeners removed. */
  close(): void {
    this.failure ??= new ConnectError("the stream was closed", Code.Canceled);
    this.socket.destroy();
    clearTimeout(this.deadlineTimer);
    this.signal?.removeEventListener("abort", this.onAbort);
    this.wake();
  }

  /** Reads the status line and header fields, skipping interim (1xx) responses. */
  async responseHead(): Promise<ResponseHead> {
    for (;;) {
      const end = this.inbox.subarray(this.inboxStart, this.inboxEnd).indexOf(HEAD_END);
      // The limit holds however the bytes arrive: a complete head is measured too (one that
      // came in a single read used to pass at any size), and an incomplete one only once it
      // is sure to exceed it (its last bytes may be the start of the final CRLFCRLF).
      if (end > MAX_HEAD_BYTES || (end < 0 && this.inboxEnd - this.inboxStart > MAX_HEAD_BYTES + HEAD_END.length - 1)) {
        throw new ConnectError("protocol error: response head too large", Code.Internal);
      }
      if (end < 0) {
        if (!(await this.waitForInput())) throw new ConnectError("the connection closed before the response began", Code.Unavailable);
        continue;
      }
      const text = this.inbox.toString("latin1", this.inboxStart, this.inboxStart + end);
      this.inboxStart += end + HEAD_END.length;
      const [statusLine = "", ...fieldLines] = text.split("\r\n");
      const status = /^HTTP\/1\.[01] (\d{3})(?: |$)/.exec(statusLine);
      if (!status) throw new ConnectError(`protocol error: not an HTTP/1.1 response: ${JSON.stringify(statusLine.slice(0, 60))}`, Code.Unknown);
      const code = Number(status[1]);
      if (code >= 100 && code < 200 && code !== 101) continue;
      const headers = new Headers();
      for (const line of fieldLines) {
        const colon = line.indexOf(":");
        if (colon <= 0) continue;
        try {
          headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
        } catch {
          // A field the Headers class refuses (odd characters) is not one we need.
        }
      }
      this.framing = bodyFraming(headers);
      return { status: code, headers };
    }
  }

  /**
   * The next gRPC-web frame of the body, as a view into the frame buffer (valid until the
   * next call), or undefined at the clean end of the body.
   */
  async nextFrame(): Promise<{ flags: number; data: Uint8Array } | undefined> {
    // Like connect-web, whose aborted fetch body drops what it had buffered: no message (and
    // no trailer, i.e. no success) after a cancellation or a deadline.
    if (this.stopped) throw this.stopped;
    const headerBytes = await this.fillFrame(0, FRAME_HEADER_BYTES);
    if (headerBytes === 0) return undefined;
    if (headerBytes < FRAME_HEADER_BYTES) throw truncated();
    const flags = this.frame[0]!;
    const length = this.frame.readUInt32BE(1);
    if (length > MAX_MESSAGE_BYTES) throw new ConnectError(`message of ${length} bytes is larger than the limit of ${MAX_MESSAGE_BYTES}`, Code.ResourceExhausted);
    const size = FRAME_HEADER_BYTES + length;
    if (size > this.frame.length) {
      // The consumer has let go of the previous message (it asked for this one): replacing is safe.
      const larger = Buffer.allocUnsafe(Math.max(size, this.frame.length * 2));
      this.frame.copy(larger, 0, 0, FRAME_HEADER_BYTES);
      this.frame = larger;
    }
    if ((await this.fillFrame(FRAME_HEADER_BYTES, size)) < length) throw truncated();
    // A plain Uint8Array, not a Buffer: a consumer's chunk.slice() must copy (Buffer's slice is a view).
    return { flags, data: new Uint8Array(this.frame.buffer, this.frame.byteOffset + FRAME_HEADER_BYTES, length) };
  }

  /** Copies body bytes into frame[from, to); returns how many it copied (fewer only at the end of the body). */
  private async fillFrame(from: number, to: number): Promise<number> {
    let at = from;
    while (at < to) {
      const copied = this.takeBody(this.frame, at, to);
      if (copied === BODY_END) break;
      if (copied === NEEDS_INPUT) {
        if (await this.waitForInput()) continue;
        // The server closed its side. Only a body delimited by the close ends cleanly here.
        if (this.framing?.kind === "until-close") this.framing = { kind: "length", left: 0 };
        else throw truncated();
        continue;
      }
      at += copied;
    }
    return at - from;
  }

  /**
   * Copies up to `to - at` body bytes from the inbox into `target` at `at`, stepping over
   * chunked-encoding framing. Returns the count, NEEDS_INPUT, or BODY_END.
   */
  private takeBody(target: Buffer, at: number, to: number): number {
    const framing = this.framing;
    if (!framing) throw new ConnectError("protocol error: body before head", Code.Internal);
    const copy = (limit: number) => {
      const n = Math.min(limit, to - at, this.inboxEnd - this.inboxStart);
      this.inbox.copy(target, at, this.inboxStart, this.inboxStart + n);
      this.inboxStart += n;
      return n;
    };
    if (framing.kind === "until-close") return copy(Number.MAX_SAFE_INTEGER);
    if (framing.kind === "length") {
      if (framing.left === 0) return BODY_END;
      const n = copy(framing.left);
      framing.left -= n;
      return n;
    }
    for (;;) {
      switch (framing.state) {
        case "done":
          return BODY_END;
        case "data": {
          const n = copy(framing.chunkLeft);
          framing.chunkLeft -= n;
          if (framing.chunkLeft === 0) framing.state = "data-end";
          if (n > 0) return n;
          if (framing.chunkLeft > 0) return NEEDS_INPUT;
          break;
        }
        case "data-end": {
          if (this.inboxEnd - this.inboxStart < CRLF.length) return NEEDS_INPUT;
          if (this.inbox[this.inboxStart] !== 0x0d || this.inbox[this.inboxStart + 1] !== 0x0a) throw new ConnectError("protocol error: bad chunk terminator", Code.Internal);
          this.inboxStart += CRLF.length;
          framing.state = "size";
          break;
        }
        case "size":
        case "trailer-fields": {
          const line = this.takeLine();
          if (line === undefined) return NEEDS_INPUT;
          if (framing.state === "trailer-fields") {
            // HTTP trailer fields after the last chunk: gRPC-web carries its trailer in the body.
            if (line === "") framing.state = "done";
            break;
          }
          const size = /^([0-9a-fA-F]{1,8})[ \t]*(;.*)?$/.exec(line);
          if (!size) throw new ConnectError(`protocol error: bad chunk size line ${JSON.stringify(line.slice(0, 40))}`, Code.Internal);
          framing.chunkLeft = parseInt(size[1]!, 16);
          framing.state = framing.chunkLeft === 0 ? "trailer-fields" : "data";
          break;
        }
      }
    }
  }

  /** One CRLF-terminated line from the inbox (without the CRLF), or undefined if it has not all arrived. */
  private takeLine(): string | undefined {
    const end = this.inbox.subarray(this.inboxStart, this.inboxEnd).indexOf(CRLF);
    // As for the head: a complete line is measured too, an incomplete one once it must exceed the limit.
    if (end > MAX_CHUNK_LINE_BYTES || (end < 0 && this.inboxEnd - this.inboxStart > MAX_CHUNK_LINE_BYTES + CRLF.length - 1)) {
      throw new ConnectError("protocol error: chunk line too long", Code.Internal);
    }
    if (end < 0) return undefined;
    const line = this.inbox.toString("latin1", this.inboxStart, this.inboxStart + end);
    this.inboxStart += end + CRLF.length;
    return line;
  }

  /**
   * Waits until more response bytes arrived (true) or the server closed its side with
   * nothing more to come (false); throws the failure (network error, cancellation,
   * deadline) once there is one. Reading resumes here, on demand.
   */
  private async waitForInput(): Promise<boolean> {
    for (;;) {
      if (this.failure) throw this.failure;
      if (this.inputEnded) return false;
      const before = this.inboxEnd - this.inboxStart;
      const woken = new Promise<void>((resolve) => (this.wakeReader = resolve));
      this.socket.resume();
      await woken;
      if (this.failure) throw this.failure;
      if (this.inboxEnd - this.inboxStart > before) return true;
    }
  }

  /** The socket's read callback: `bytes` new bytes are in readBuffer, until the next read. */
  private received(bytes: number): boolean {
    if (this.inboxEnd + bytes > this.inbox.length) {
      const unread = this.inboxEnd - this.inboxStart;
      if (unread + bytes <= this.inbox.length) {
        this.inbox.copy(this.inbox, 0, this.inboxStart, this.inboxEnd);
      } else {
        // Only when reads arrive after pausing (TLS hands over records it already decrypted).
        const larger = Buffer.allocUnsafe(Math.max(unread + bytes, this.inbox.length * 2));
        this.inbox.copy(larger, 0, this.inboxStart, this.inboxEnd);
        this.inbox = larger;
      }
      this.inboxStart = 0;
      this.inboxEnd = unread;
    }
    this.readBuffer.copy(this.inbox, this.inboxEnd, 0, bytes);
    this.inboxEnd += bytes;
    // Backpressure: the consumer (e.g. a disk write) sets the pace; waitForInput() resumes.
    if (this.inboxEnd - this.inboxStart >= INBOX_HIGH_WATER_BYTES) this.socket.pause();
    this.wake();
    return true;
  }

  private endOfInput(): void {
    this.inputEnded = true;
    this.wake();
  }

  private stop(error: ConnectError): void {
    this.stopped ??= error;
    this.fail(error);
  }

  private fail(error: ConnectError): void {
    this.failure ??= error;
    this.close();
  }

  private wake(): void {
    const wake = this.wakeReader;
    this.wakeReader = undefined;
    wake?.();
  }
}

const truncated = () => new ConnectError("the connection closed before the response ended", Code.Unavailable);

function bodyFraming(headers: Headers): BodyFraming {
  if (/(^|,)\s*chunked\s*$/i.test(headers.get("transfer-encoding") ?? "")) return { kind: "chunked", state: "size", chunkLeft: 0 };
  const length = headers.get("content-length");
  if (length !== null) {
    if (!/^\d+$/.test(length.trim())) throw new ConnectError(`protocol error: bad content-length ${JSON.stringify(length)}`, Code.Internal);
    return { kind: "length", left: Number(length) };
  }
  return { kind: "until-close" };
}

/** These are the exchange's own business, whatever the caller's header says. */
const CONNECTION_FIELDS = new Set(["host", "content-length", "connection", "transfer-encoding", "keep-alive", "upgrade", "te"]);

function requestBytes(url: URL, header: Headers, body: Uint8Array): Buffer {
  // Headers refuses CR, LF and NUL in values, so a field cannot smuggle in another line.
  let head = `POST ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\n`;
  header.forEach((value, name) => {
    if (!CONNECTION_FIELDS.has(name)) head += `${name}: ${value}\r\n`;
  });
  head += `Content-Length: ${body.byteLength}\r\nConnection: close\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, "latin1"), body]);
}
