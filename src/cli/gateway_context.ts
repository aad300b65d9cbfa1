/**
 * How CLI commands reach the registry: the roots decided once per process (so an ignored
 * `OPENSHELL_SYSTEM_GATEWAY_DIR` is warned about once) and the inputs that pick the active
 * gateway.
 *
 * @module
 */
import type { ActiveGatewayInputs, RegistryRoots } from "../registry/mod.ts";
import { effectiveUid, processEnv } from "../xdg_dirs.ts";
import { printWarning } from "./output.ts";

let roots: RegistryRoots | undefined;

/** The registry roots for this process; a bad override is warned about on first use only. */
export async function cliRoots(): Promise<RegistryRoots> {
  if (roots === undefined) {
    const { registryRoots } = await import("../registry/mod.ts");
    roots = registryRoots(processEnv, effectiveUid(), printWarning);
  }
  return roots;
}

/** The `-g/--gateway` flag (from any level of the command line) and `OPENSHELL_GATEWAY`. */
export function activeInputs(command: { optsWithGlobals(): object }): ActiveGatewayInputs {
  const flag = (command.optsWithGlobals() as { gateway?: string }).gateway;
  return { flag, env: processEnv("OPENSHELL_GATEWAY"), warn: printWarning };
}
