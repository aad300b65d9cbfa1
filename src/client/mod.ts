/**
 * Talking to a gateway from outside it: its health over HTTP or mTLS (`GET /healthz`, with
 * the certificates kept in the user registry) and the hint that fits a failure, the
 * background poller the terminal UI shows, and the client TLS files a local gateway package
 * leaves behind.
 *
 * @example
 * ```ts
 * import { gatewayMtlsDir, mtlsFilePaths, type RegistryRoots } from "../registry/mod.ts";
 * import { probeHealth } from "./mod.ts";
 * const roots: RegistryRoots = { user: "/home/ada/.config/openshell", system: "/etc/openshell" };
 * const tls = mtlsFilePaths(gatewayMtlsDir(roots, "corp"));
 * const result = await probeHealth("https://gw.corp.example:8443", { timeoutMs: 2000, tls });
 * result.status; // "ok" | "unhealthy" | "unreachable"
 * ```
 *
 * @module
 */
export { allFilesPresent, packageTlsDir, packageTlsFiles } from "./client_certificates.ts";
export { type GatewayTls, healthHint, type HealthResult, probeHealth } from "./gateway_health.ts";
export {
  type Authentication,
  authenticationOutcome,
  checkGateway,
  type CheckTarget,
  type ConnectionStatus,
  type GatewayCheck,
  type LiveGatewayInfo,
} from "./gateway_check.ts";
export {
  type GatewayHealth,
  HealthPoller,
  type HealthTarget,
  type HealthVerdict,
} from "./health_check.ts";
