// The transport of every Viam call of this process: ViamConnection's own (login, billing
// RPCs) and those @viamrobotics/sdk builds for its app client, chosen through the SDK's hook
// for it, globalThis.VIAM.GRPC_TRANSPORT_FACTORY, called with `{ baseUrl, credentials }`.
//
// Unary calls and the login go to connect-node's gRPC-web transport over HTTP/1.1 (node:http),
// not to connect-web's over fetch, which the SDK would pick: fetch is undici, whose HTTP
// parser is WebAssembly, and V8 compiles that in the background a moment after the first
// calls, raising the peak RSS by ~22 MiB (measured with `npm run bench`; docs/performance.md).
// Same protocol, same status mapping, same headers from the SDK. The GetInvoicePdf stream
// is read with the lean reader of src/viam/grpc-web-lean-stream.ts, so that saving a large PDF
// does not raise the peak RSS by its size (issue 5); connect-node's own stream reader
// retains chunks (connectrpc/connect-es#1524).
import type { Message, MethodInfo, ServiceType } from "@bufbuild/protobuf";
import type { Transport } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-node";
import { PACKAGE_VERSION } from "../core/version.js";
import { streamBorrowingMessages } from "./grpc-web-lean-stream.js";

/** Viam's client header, as the SDK sends it (`typescript;v0.61.1;…`) on calls it makes; ours say who they are. */
const VIAM_CLIENT = `billing-mcp;v${PACKAGE_VERSION}`;

/** What the SDK passes its transport factory. `credentials` is fetch's cookie mode: nothing to do in Node. */
export interface SdkTransportOptions {
  baseUrl: string;
  credentials?: string;
}

/** The SDK's documented hook (its typings declare globalThis.VIAM.GRPC_TRANSPORT_FACTORY). */
interface ViamSdkGlobals {
  VIAM?: { GRPC_TRANSPORT_FACTORY?: (options: SdkTransportOptions) => Transport; [setting: string]: unknown };
}

let installed = false;

/** Make createViamClient() build its transports with createViamTransport; call before it (once per process is enough). */
export function installViamTransport(): void {
  if (installed) return;
  installed = true;
  const globals = globalThis as typeof globalThis & ViamSdkGlobals;
  globals.VIAM = { ...globals.VIAM, GRPC_TRANSPORT_FACTORY: (options) => createViamTransport(options) };
}

/**
 * gRPC-web to `options.baseUrl`: GetInvoicePdf through the lean reader, whose messages are
 * BORROWED (valid only until the next one is requested, see streamBorrowingMessages), which
 * its one consumer, ViamConnection.streamInvoicePdf, honours; everything else through
 * connect-node. With `accessToken`, every call carries `authorization: Bearer <token>`
 * (ViamConnection's own calls; the SDK's transports add it, and their viam_client, themselves).
 */
export function createViamTransport(options: SdkTransportOptions & { accessToken?: string }): Transport {
  const standard = createGrpcWebTransport({ baseUrl: options.baseUrl, httpVersion: "1.1" });
  const { accessToken } = options;
  const authorized = (header: HeadersInit | undefined): Headers => {
    const headers = new Headers(header);
    if (!headers.has("viam_client")) headers.set("viam_client", VIAM_CLIENT);
    if (accessToken !== undefined) headers.set("authorization", `Bearer ${accessToken}`);
    return headers;
  };
  return {
    unary: (service, method, signal, timeoutMs, header, input, contextValues) =>
      standard.unary(service, method, signal, timeoutMs, authorized(header), input, contextValues),
    stream: (service, method, signal, timeoutMs, header, input, contextValues) =>
      isInvoicePdf(service, method)
        ? streamBorrowingMessages(options.baseUrl, service, method, signal, timeoutMs, authorized(header), input)
        : standard.stream(service, method, signal, timeoutMs, authorized(header), input, contextValues),
  };
}

function isInvoicePdf<I extends Message<I>, O extends Message<O>>(service: ServiceType, method: MethodInfo<I, O>): boolean {
  return service.typeName === "viam.app.v1.BillingService" && method.name === "GetInvoicePdf";
}
