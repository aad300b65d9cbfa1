/**
 * The gateway server that runs inside the container (`openshell __gateway ...`): HTTP/1.1
 * and HTTP/2 on one port, in plaintext or over mTLS, `GET /healthz`, `GET /v1/info` and the
 * gRPC methods `Health` and `GetGatewayInfo`, JSON log lines on stdout, a clean stop on
 * SIGTERM or SIGINT. It imports nothing of the CLI and no npm package (its protobuf code is
 * the generated bundle `_protocol_bundle.js`): it runs from the read-only mounted sources with
 * `deno run --no-config`.
 *
 * @example
 * ```ts
 * import { runGateway } from "./mod.ts";
 * Deno.exit(await runGateway(["--name", "local", "--listen", "127.0.0.1:8090"]));
 * ```
 *
 * @module
 */
export { runGateway } from "./main.ts";
