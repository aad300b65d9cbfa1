/**
 * The gateway registry: which gateways exist, where each comes from and which one is active.
 *
 * Two roots share one layout (`active_gateway`, `gateways/<name>/metadata.json`): the user's
 * own registry (`$XDG_CONFIG_HOME/openshell`) over a read-only system registry
 * (`OPENSHELL_SYSTEM_GATEWAY_DIR`, else the installed default, else `/etc/openshell`). The
 * files are compatible with NVIDIA OpenShell. This module knows files and precedence and nothing about terminals.
 *
 * Installers and packages seed a system registry through `system_seed.ts`, which writes only
 * into a system root named explicitly and refuses the user registry.
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
  type GatewayListRow,
  gatewayListRow,
  type GatewayListRowOptions,
} from "./gateway_list_row.ts";
export {
  checkGatewayMetadata,
  gatewayAuth,
  type GatewayAuthMode,
  type GatewayMetadata,
  type GatewaySource,
  gatewayType,
  isPlainMetadata,
  parseGatewayMetadata,
  serializeGatewayMetadata,
} from "./gateway_metadata.ts";
export { isValidGatewayName, MAX_GATEWAY_NAME_BYTES, validateGatewayName } from "./gateway_name.ts";
export {
  compareText,
  type GatewayEntry,
  type GatewayListing,
  type GatewayProblem,
  listGateways,
  type ListGatewaysOptions,
} from "./list_gateways.ts";
export { readGatewayMetadata, type ResolvedGateway } from "./read_gateway_metadata.ts";
export { type RegistryRoots, registryRoots } from "./registry_roots.ts";
export { type GatewayAddOptions, type GatewayAddPlan, planGatewayAdd } from "./gateway_add_plan.ts";
export { renameUserGateway } from "./rename_gateway.ts";
export {
  mayServeUnder,
  newServedToken,
  refuseForeignRegistration,
  registerServedGateway,
  type ServedEndpoint,
  type ServedGateway,
  servedGatewayMetadata,
  servedGatewayToken,
  type ServedRegistrationFacts,
  servedRegistrationStep,
  type ServedToken,
  servedTokenPath,
} from "./served_gateway.ts";
export {
  DEFAULT_SYSTEM_ROOT,
  SYSTEM_ROOT_SETTING,
  SYSTEM_ROOT_VARIABLE,
  systemRoot,
  type SystemRootDefault,
  systemRootDefault,
  type SystemRootOrigin,
  type SystemRootSource,
} from "./system_root.ts";
export {
  addSystemGateway,
  checkSystemDir,
  planSystemAdd,
  planSystemSelect,
  type SeedAction,
  type SeedEndpoint,
  seedEndpoint,
  type SeedFound,
  seedMetadata,
  type SeedOptions,
  type SeedWrite,
  selectSystemGateway,
  type SystemAddPlan,
  type SystemAddRequest,
  type SystemSelectPlan,
  type SystemSelectRequest,
} from "./system_seed.ts";
export { ensureUserDir } from "./user_dir.ts";
export {
  addUserGateway,
  type AddUserGatewayOptions,
  ensureUserGatewayDir,
  MTLS_FILE_NAMES,
  type MtlsFiles,
  removeUserGateway,
  SECRET_FILE_MODE,
  selectGateway,
  userGatewayDir,
  writeUserGatewayFile,
} from "./write_registry.ts";
