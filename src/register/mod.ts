/**
 * Changing the gateway registry (`../registry/mod.ts` reads it): adding, removing, renaming
 * and selecting user gateways, what `gateway add` registers, the registration of a gateway
 * `serve` runs, and seeding a system registry for installers and packages, which writes only
 * into a system root named explicitly and refuses the user registry. Every write is atomic,
 * never through a symlink, and leaves files byte for byte as NVIDIA OpenShell writes them.
 *
 * @example
 * ```ts
 * import { registryRoots } from "../registry/mod.ts";
 * import { addUserGateway } from "./mod.ts";
 * const roots = registryRoots((name) => Deno.env.get(name), Deno.uid() ?? 0, console.error);
 * await addUserGateway(roots, {
 *   name: "local",
 *   gateway_endpoint: "http://127.0.0.1:8090",
 *   is_remote: false,
 *   gateway_port: 0,
 *   auth_mode: "plaintext",
 * }, { activate: "if-none" });
 * ```
 *
 * @module
 */
export { type GatewayAddOptions, type GatewayAddPlan, planGatewayAdd } from "./gateway_add_plan.ts";
export {
  mayServeUnder,
  newServedToken,
  readServedPki,
  refuseForeignRegistration,
  registerServedGateway,
  type ServedEndpoint,
  type ServedGateway,
  servedGatewayMetadata,
  servedGatewayToken,
  type ServedPki,
  servedPkiPaths,
  servedRegistrationEndpoint,
  type ServedRegistrationFacts,
  servedRegistrationStep,
  type ServedToken,
} from "./served_gateway.ts";
export type {
  SeedAction,
  SeedFound,
  SeedOptions,
  SeedWrite,
  SystemAddPlan,
  SystemAddRequest,
  SystemSelectPlan,
  SystemSelectRequest,
} from "./system_seed.ts";
export {
  addUserGateway,
  type AddUserGatewayOptions,
  type MtlsFiles,
  removeUserGateway,
  selectGateway,
  writeUserGatewayFile,
} from "./write_registry.ts";

// Loaded on first use: `serve` and the other commands that register need none of them.
import type * as Rename from "./rename_gateway.ts";
import type * as Seed from "./system_seed.ts";

/** Renames a user gateway: see `rename_gateway.ts`. */
export const renameUserGateway: typeof Rename.renameUserGateway = async (...args) =>
  (await import("./rename_gateway.ts")).renameUserGateway(...args);
/** Seeds a gateway into a system registry: see `system_seed.ts`. */
export const addSystemGateway: typeof Seed.addSystemGateway = async (...args) =>
  (await import("./system_seed.ts")).addSystemGateway(...args);
/** Makes a system registry's gateway its active one: see `system_seed.ts`. */
export const selectSystemGateway: typeof Seed.selectSystemGateway = async (...args) =>
  (await import("./system_seed.ts")).selectSystemGateway(...args);
