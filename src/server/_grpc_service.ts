/**
 * The gRPC methods of `openshell.v1.OpenShell` the gateway answers, so NVIDIA OpenShell's CLI
 * sees it as a gateway: `Health` (no auth, as upstream) and `GetGatewayInfo` (the rule of
 * `/v1/info`: a client certificate over mTLS, else the bearer token). Messages are encoded
 * and decoded by `@bufbuild/protobuf` from upstream's `.proto`, through the bundle the gateway
 * loads (see `scripts/gen_proto.sh`). Pure: a call in, a reply out; the HTTP/2 transport is
 * elsewhere, and loads this module, and so the bundle, with it on the first HTTP/2 connection.
 *
 * @module
 */
import { GRPC_SERVICE_PATH, GrpcStatus, unframeMessage } from "../contract/mod.ts";
import { bearerAuthorized, type GatewayIdentity } from "./_gateway_handler.ts";
import {
  create,
  type DescMessage,
  fromBinary,
  GetGatewayInfoRequestSchema,
  GetGatewayInfoResponseSchema,
  HealthRequestSchema,
  HealthResponseSchema,
  ServiceStatus,
  toBinary,
} from "./_protocol_bundle.js";

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
  /** Every connection came with a verified client certificate (mTLS): no token is asked. */
  clientCertificates?: boolean;
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
  const version = options.identity.version;
  const methods: Record<
    string,
    { auth: boolean; request: DescMessage; respond: () => Uint8Array }
  > = {
    Health: {
      auth: false,
      request: HealthRequestSchema,
      respond: () =>
        toBinary(
          HealthResponseSchema,
          create(HealthResponseSchema, { status: ServiceStatus.HEALTHY, version }),
        ),
    },
    GetGatewayInfo: {
      auth: true,
      request: GetGatewayInfoRequestSchema,
      // No compute driver runs here: the list stays empty rather than claim one.
      respond: () =>
        toBinary(
          GetGatewayInfoResponseSchema,
          create(GetGatewayInfoResponseSchema, {
            status: ServiceStatus.HEALTHY,
            gatewayVersion: version,
          }),
        ),
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
    if (
      method.auth && !options.clientCertificates &&
      !bearerAuthorized(call.authorization, options.token)
    ) {
      return { status: GrpcStatus.UNAUTHENTICATED, message: "Missing or invalid bearer token" };
    }
    if (call.encoding !== null && call.encoding !== "identity") {
      return {
        status: GrpcStatus.UNIMPLEMENTED,
        message: `Unsupported grpc-encoding: ${call.encoding}`,
      };
    }
    try {
      fromBinary(method.request, unframeMessage(call.body));
    } catch (error) {
      return { status: GrpcStatus.INVALID_ARGUMENT, message: (error as Error).message };
    }
    return { status: GrpcStatus.OK, payload: method.respond() };
  };
}
