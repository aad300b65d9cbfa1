/**
 * The gateway registry: which gateways exist, where each comes from and which one is active.
 *
 * Two roots share one layout (`active_gateway`, `gateways/<name>/metadata.json`): the user's
 * own registry (`$XDG_CONFIG_HOME/openshell`) over a read-only system registry
 * (`OPENSHELL_SYSTEM_GATEWAY_DIR`, else the installed default, else `/etc/openshell`). The
 * files are compatible with NVIDIA OpenShell. This folder reads them and knows precedence and
 * nothing about terminals; `../register/mod.ts` changes them.
 *
 * Ordinary metadata files are checked without a schema; the schema (`_gateway_metadata_schema.ts`,
 * not re-exported here) is loaded only for unusual files and for metadata being written.
 *
 * @example
 * ```ts
 * import { listGateways, registryRoots, resolveActiveGateway } from "./mod.ts";
 * const roots = registryRoots((n) => Deno.env.get(n), Deno.uid() ?? 0, console.error);
 * const { entries, problems } = await listGateways(roots);
 * const active = await resolveActiveGateway(roots, { env: Deno.env.get("OPENSHELL_GATEWAY") });
 * ```
 *
 * @module
 */
export {
  ACTIVE_GATEWAY_VARIABLE,
  type ActiveGateway,
  type ActiveGatewayInputs,
  type ActiveReason,
  readActiveFile,
  resolveActiveGateway,
} from "./active_gateway.ts";
export {
  checkGatewayMetadata,
  gatewayAuth,
  type GatewayAuthMode,
  type GatewayMetadata,
  type GatewaySource,
  gatewayType,
  isPlainMetadata,
  parseGatewayMetadata,
  registeredGatewayPort,
  serializeGatewayMetadata,
} from "./gateway_metadata.ts";
export { gatewayAddKind, isLoopbackHost } from "./gateway_host.ts";
export { isValidGatewayName, MAX_GATEWAY_NAME_BYTES, validateGatewayName } from "./gateway_name.ts";
export {
  compareText,
  type GatewayEntry,
  type GatewayListing,
  type GatewayListRow,
  gatewayListRow,
  type GatewayListRowOptions,
  type GatewayProblem,
  listedAsServed,
  listGateways,
  type ListGatewaysOptions,
  readGatewayMetadata,
  type ResolvedGateway,
} from "./list_gateways.ts";
export {
  DEFAULT_SYSTEM_ROOT,
  type RegistryRoots,
  registryRoots,
  SYSTEM_ROOT_SETTING,
  SYSTEM_ROOT_VARIABLE,
  systemRoot,
  type SystemRootDefault,
  systemRootDefault,
  type SystemRootOrigin,
  type SystemRootSource,
} from "./registry_roots.ts";
export {
  activeFilePath,
  gatewayDirPath,
  gatewayMtlsDir,
  gatewaysDirPath,
  gatewayTokenPath,
  madeByServe,
  metadataFilePath,
  type MtlsFilePaths,
  mtlsFilePaths,
  readMetadataFile,
  SERVE_MARKER_FILE,
  userGatewayDir,
} from "./layout.ts";
