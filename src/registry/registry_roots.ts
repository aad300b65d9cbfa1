import { isAbsolute } from "node:path";
import { type EnvLookup, openshellDir } from "../xdg_dirs.ts";

/** The default system registry root, seeded by installers and packages. */
export const DEFAULT_SYSTEM_ROOT = "/etc/openshell";

/** The environment variable that moves the system registry root. */
export const SYSTEM_ROOT_VARIABLE = "OPENSHELL_SYSTEM_GATEWAY_DIR";

/**
 * The two registry roots. Both share one layout: `active_gateway` and
 * `gateways/<name>/metadata.json`. The system root is only ever read.
 */
export interface RegistryRoots {
  /** The user registry, `$XDG_CONFIG_HOME/openshell` or `$HOME/.config/openshell`. */
  readonly user: string;
  /** The read-only system registry, `/etc/openshell` unless overridden. */
  readonly system: string;
}

/**
 * Decides both registry roots from the environment.
 *
 * The system root is `/etc/openshell`, or `OPENSHELL_SYSTEM_GATEWAY_DIR` when that is a
 * non-empty absolute path. An empty or relative override is ignored and reported once
 * through `warn` (a message for stderr, never stdout).
 *
 * @throws {UserError} when neither XDG_CONFIG_HOME nor HOME gives a user root.
 * @example
 * ```ts
 * const roots = registryRoots((n) => Deno.env.get(n), Deno.uid() ?? 0, console.error);
 * ```
 */
export function registryRoots(
  env: EnvLookup,
  uid: number,
  warn: (message: string) => void,
): RegistryRoots {
  const user = openshellDir("config", env, uid);
  const override = env(SYSTEM_ROOT_VARIABLE);
  let system = DEFAULT_SYSTEM_ROOT;
  if (override !== undefined) {
    if (override !== "" && isAbsolute(override)) system = override;
    else {
      const why = override === "" ? "it is empty" : "it is not an absolute path";
      warn(`ignoring ${SYSTEM_ROOT_VARIABLE}='${override}': ${why}; using ${DEFAULT_SYSTEM_ROOT}`);
    }
  }
  return { user, system };
}
