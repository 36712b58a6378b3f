// The wire under serveStdio: the SDK's own StdioServerTransport (with its documented message
// size limit), seen through a counter of the requests it delivered that are not answered yet,
// so that shutdown can let them finish. Nothing here reads or writes a message itself.
import { isJSONRPCNotification, isJSONRPCRequest, isJSONRPCErrorResponse, isJSONRPCResultResponse } from "@modelcontextprotocol/server";
import type { JSONRPCMessage, MessageExtraInfo, RequestId, Transport, TransportSendOptions } from "@modelcontextprotocol/server";

/**
 * The largest JSON-RPC message read from stdin; a longer one closes the connection (the SDK's
 * StdioServerTransport maxBufferSize; its default is 10 MiB). A request to this server is a few
 * KiB (tool arguments are capped at 1,000 elements, descriptions at 500 characters), so 2 MiB
 * leaves room five-hundredfold. The SDK's read buffer copies itself on every 64 KiB chunk while
 * a line grows, so an oversized line allocates about limit^2 / 128 KiB before the close:
 * 32 MiB here, 800 MiB at the default (issue 16's line-64mb figure).
 */
export const MAX_MESSAGE_BYTES = 2 * 1024 * 1024;

export class AnsweredCounter implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: <T extends JSONRPCMessage>(message: T, extra?: MessageExtraInfo) => void;
  private readonly pending = new Set<RequestId>();
  private wake: (() => void)[] = [];

  /** `closed` is called once the transport has closed (stdin failed, stdout failed, a message over the size limit). */
  constructor(
    private readonly inner: Transport,
    private readonly closed: () => void,
  ) {}

  /** Requests received and not answered (nor cancelled by the client). */
  get unanswered(): number {
    return this.pending.size;
  }

  async start(): Promise<void> {
    this.inner.onmessage = (message, extra) => {
      if (isJSONRPCRequest(message)) this.pending.add(message.id);
      else if (isJSONRPCNotification(message) && message.method === "notifications/cancelled") {
        const id = (message.params as { requestId?: RequestId } | undefined)?.requestId;
        if (id !== undefined) this.settle(id);
      }
      this.onmessage?.(message, extra);
    };
    this.inner.onerror = (error) => this.onerror?.(error);
    this.inner.onclose = () => {
      this.onclose?.();
      this.closed();
    };
    await this.inner.start();
  }

  send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    const sent = this.inner.send(message, options);
    if (isJSONRPCResultResponse(message) || isJSONRPCErrorResponse(message)) {
      const id = message.id;
      // Settled once written: shutdown waits for the answer to reach stdout's buffer.
      void sent.finally(() => id !== undefined && this.settle(id)).catch(() => undefined);
    }
    return sent;
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  setProtocolVersion = (version: string): void => this.inner.setProtocolVersion?.(version);

  /** Resolves true once every request received is answered, false if `deadline()` (ms since epoch) passes first. */
  async whenAnswered(deadline: () => number): Promise<boolean> {
    while (this.pending.size > 0) {
      const wait = deadline() - Date.now();
      if (wait <= 0) return false;
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.wake.push(resolve);
        timer = setTimeout(resolve, Math.min(wait, 1_000));
      });
      clearTimeout(timer);
    }
    return true;
  }

  private settle(id: RequestId): void {
    if (!this.pending.delete(id)) return;
    this.wake.splice(0).forEach((wake) => wake());
  }
}
