/**
 * TODO-DOC client
 *
 * @module
 */
export { allFilesPresent, packageTlsDir, packageTlsFiles } from "./client_certificates.ts";
export {
  type GatewayTls,
  healthHint,
  type HealthResult,
  mtlsFiles,
  probeHealth,
} from "./gateway_health.ts";
export { HealthPoller, type HealthVerdict } from "./health_check.ts";
export { type ProbeProof, probeReadiness } from "./health_probe.ts";
