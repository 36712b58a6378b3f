// The transport @viamrobotics/sdk builds for every Viam call of this process, chosen through
// the SDK's own hook for it: globalThis.VIAM.GRPC_TRANSPORT_FACTORY, which it calls with
// `{ baseUrl, credentials }` for the login and for the authenticated transport (that one adds
// `authorization: Bearer …` to the header of every call before passing it on here).
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
import { registerSecret } from "../core/errors.js";
import { streamBorrowingMessages } from "./grpc-web-lean-stream.js";

/** What the SDK passes its transport factory. `credentials` is fetch's cookie mode: nothing to do in Node. */
export interface SdkTransportOptions {
  baseUrl: string;
  credentials?: string;
}

/** What the SDK reads from globalThis when it builds a transport. */
interface ViamSdkGlobals {
  VIAM?: { GRPC_TRANSPORT_FACTORY?: (options: SdkTransportOptions) => Transport; [setting: string]: unknown };
}

/** The transports createViamTransport built, so a caller can check the SDK really used the hook. */
const builtHere = new WeakSet<Transport>();

/** True when `transport` came from createViamTransport. */
export function isViamTransport(transport: unknown): boolean {
  return typeof transport === "object" && transport !== null && builtHere.has(transport as Transport);
}

/** Make createViamClient() build its transports with createViamTransport; call before it. */
export function installViamTransport(): void {
  const globals = globalThis as typeof globalThis & ViamSdkGlobals;
  globals.VIAM = { ...globals.VIAM, GRPC_TRANSPORT_FACTORY: createViamTransport };
}

/**
 * gRPC-web to `options.baseUrl`: GetInvoicePdf through the lean reader, whose messages are
 * BORROWED (valid only until the next one is requested, see streamBorrowingMessages), which
 * its one consumer, ViamConnection.streamInvoicePdf, honours; everything else through
 * connect-node.
 */
export function createViamTransport(options: SdkTransportOptions): Transport {
  const standard = createGrpcWebTransport({ baseUrl: options.baseUrl, httpVersion: "1.1" });
  const transport: Transport = {
    unary: (service, method, signal, timeoutMs, header, input, contextValues) => {
      registerAccessToken(header);
      return standard.unary(service, method, signal, timeoutMs, header, input, contextValues);
    },
    stream: (service, method, signal, timeoutMs, header, input, contextValues) => {
      registerAccessToken(header);
      return isInvoicePdf(service, method)
        ? streamBorrowingMessages(options.baseUrl, service, method, signal, timeoutMs, header, input)
        : standard.stream(service, method, signal, timeoutMs, header, input, contextValues);
    },
  };
  builtHere.add(transport);
  return transport;
}

/**
 * The SDK obtains access tokens at login and keeps them to itself; each one passes here in
 * the authorization header of the first call it authenticates, before any answer to that
 * call could quote it, so it is registered as a secret then.
 */
function registerAccessToken(header: HeadersInit | undefined): void {
  const authorization = header === undefined ? null : new Headers(header).get("authorization");
  const token = authorization && /^Bearer\s+(\S+)$/i.exec(authorization)?.[1];
  if (token) registerSecret(token);
}

function isInvoicePdf<I extends Message<I>, O extends Message<O>>(service: ServiceType, method: MethodInfo<I, O>): boolean {
  return service.typeName === "viam.app.v1.BillingService" && method.name === "GetInvoicePdf";
}
