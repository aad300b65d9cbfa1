/**
 * The gRPC methods of `openshell.v1.OpenShell` the gateway answers, so NVIDIA OpenShell's CLI
 * sees it as a gateway: `Health` (no auth, as upstream) and `GetGatewayInfo` (bearer token,
 * the rule of `/v1/info`). Pure: a call in, a reply out; the HTTP/2 transport is elsewhere.
 *
 * @module
 */
import { bearerAuthorized, type GatewayIdentity } from "./_gateway_handler.ts";
import {
  decodeEmptyRequest,
  encodeGetGatewayInfoResponse,
  encodeHealthResponse,
  ServiceStatus,
} from "./_grpc_messages.ts";

/** The gRPC service path prefix. */
export const GRPC_SERVICE_PATH = "/openshell.v1.OpenShell/";

/** gRPC status codes the gateway answers with. */
export const GrpcStatus = {
  OK: 0,
  INVALID_ARGUMENT: 3,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAUTHENTICATED: 16,
} as const;

/** One unary call as it arrived. */
export interface GrpcCall {
  /** The `:path` pseudo-header, e.g. `/openshell.v1.OpenShell/Health`. */
  path: string;
  /** The `authorization` metadata, if any. */
  authorization: string | null;
  /** The `grpc-encoding` header, if any. */
  encoding: string | null;
  /** The whole request body: length-prefixed messages. */
  body: Uint8Array;
}

/** The answer: a status, and the response message when the status is OK. */
export interface GrpcReply {
  status: number;
  message?: string;
  /** The encoded response message (not yet length-prefixed). */
  payload?: Uint8Array;
}

/** What the service needs. */
export interface GrpcServiceOptions {
  identity: Pick<GatewayIdentity, "version">;
  token: string;
}

/**
 * Builds the service: a function from a call to its reply.
 *
 * @example
 * ```ts
 * import { createGrpcService } from "./_grpc_service.ts";
 * const service = createGrpcService({ identity: { version: "1.0" }, token: "t" });
 * service({ path: "/openshell.v1.OpenShell/Health", authorization: null, encoding: null,
 *   body: new Uint8Array(5) }).status; // 0
 * ```
 */
export function createGrpcService(options: GrpcServiceOptions): (call: GrpcCall) => GrpcReply {
  const methods: Record<string, { auth: boolean; respond: () => Uint8Array }> = {
    Health: {
      auth: false,
      respond: () =>
        encodeHealthResponse({ status: ServiceStatus.HEALTHY, version: options.identity.version }),
    },
    GetGatewayInfo: {
      auth: true,
      // No compute driver runs here: the list stays empty rather than claim one.
      respond: () =>
        encodeGetGatewayInfoResponse({
          status: ServiceStatus.HEALTHY,
          gatewayVersion: options.identity.version,
          computeDrivers: [],
        }),
    },
  };
  return (call) => {
    const name = call.path.startsWith(GRPC_SERVICE_PATH)
      ? call.path.slice(GRPC_SERVICE_PATH.length)
      : "";
    const method = Object.hasOwn(methods, name) ? methods[name] : undefined;
    if (!method) {
      return { status: GrpcStatus.UNIMPLEMENTED, message: `Method not found: ${call.path}` };
    }
    if (method.auth && !bearerAuthorized(call.authorization, options.token)) {
      return { status: GrpcStatus.UNAUTHENTICATED, message: "Missing or invalid bearer token" };
    }
    if (call.encoding !== null && call.encoding !== "identity") {
      return {
        status: GrpcStatus.UNIMPLEMENTED,
        message: `Unsupported grpc-encoding: ${call.encoding}`,
      };
    }
    let request: Uint8Array;
    try {
      request = unframeMessage(call.body);
      decodeEmptyRequest(request);
    } catch (error) {
      return { status: GrpcStatus.INVALID_ARGUMENT, message: (error as Error).message };
    }
    return { status: GrpcStatus.OK, payload: method.respond() };
  };
}

/**
 * Prefixes a message as gRPC frames it: a compressed flag (0) and a 4-byte big-endian length.
 *
 * @example
 * ```ts
 * import { frameMessage } from "./_grpc_service.ts";
 * frameMessage(new Uint8Array([8, 1])); // Uint8Array [0, 0, 0, 0, 2, 8, 1]
 * ```
 */
export function frameMessage(payload: Uint8Array): Uint8Array {
  const framed = new Uint8Array(5 + payload.length);
  new DataView(framed.buffer).setUint32(1, payload.length);
  framed.set(payload, 5);
  return framed;
}

/**
 * The one message of a unary request body.
 *
 * @throws {SyntaxError} when the body is not exactly one uncompressed length-prefixed message.
 * @example
 * ```ts
 * import { unframeMessage } from "./_grpc_service.ts";
 * unframeMessage(new Uint8Array([0, 0, 0, 0, 0])); // Uint8Array []
 * ```
 */
export function unframeMessage(body: Uint8Array): Uint8Array {
  if (body.length < 5) throw new SyntaxError("Request message missing or truncated");
  if (body[0] !== 0) throw new SyntaxError("Compressed request message without grpc-encoding");
  const length = new DataView(body.buffer, body.byteOffset, 5).getUint32(1);
  if (body.length !== 5 + length) {
    throw new SyntaxError("Request body is not exactly one length-prefixed message");
  }
  return body.subarray(5);
}
