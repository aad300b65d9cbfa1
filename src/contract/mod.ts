/**
 * The one contract between the launcher and the gateway container: where things are inside
 * it, its environment, port 8090, the host id its root maps to when root launches it, the
 * gateway's command line and listen address, the proof that the gateway answering is the
 * one launched, and gRPC's service path, status codes and framing. The image build, the OCI config, the exported image and the server read these
 * facts here only; the server imports nothing else of the launcher.
 *
 * @example
 * ```ts
 * import { CONTAINER_PATHS, GATEWAY_PORT, parseListenAddress } from "./mod.ts";
 * parseListenAddress(`127.0.0.1:${GATEWAY_PORT}`); // { hostname: "127.0.0.1", port: 8090 }
 * CONTAINER_PATHS.state; // "/var/lib/openshell"
 * ```
 *
 * @module
 */
export {
  CONTAINER_ENV,
  CONTAINER_PATHS,
  GATEWAY_PORT,
  ROOT_MODE_HOST_ID,
} from "./container_contract.ts";
export {
  gatewayArgs,
  gatewayDenoFlags,
  type GatewayPaths,
  type GatewayTlsPaths,
  parseListenAddress,
  TLS_SECRET_FILES,
  tlsSecretPaths,
} from "./gateway_command_line.ts";
export { frameMessage, GRPC_SERVICE_PATH, GrpcStatus, unframeMessage } from "./grpc_wire.ts";
export { isChallenge, launchProof, newChallenge, readyLine } from "./launch_proof.ts";
