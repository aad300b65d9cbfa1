import { type EnvLookup, openshellDir } from "../host/mod.ts";
import { systemRoot } from "./system_root.ts";

// What `--version` reports; the whole decision is in system_root.ts, which imports no node:*.
export { systemRoot, type SystemRootOrigin } from "./system_root.ts";

/**
 * The two registry roots. Both share one layout: `active_gateway` and
 * `gateways/<name>/metadata.json`. The system root is only ever read.
 */
export interface RegistryRoots {
  /** The user registry, `$XDG_CONFIG_HOME/openshell` or `$HOME/.config/openshell`. */
  readonly user: string;
  /** The read-only system registry: the variable, the installed default, or `/etc/openshell`. */
  readonly system: string;
}

/**
 * Decides both registry roots from the environment.
 *
 * The system root is `OPENSHELL_SYSTEM_GATEWAY_DIR` when that is a non-empty absolute path,
 * else the installed default (`systemRootDefault` in system_root.ts). An empty or relative
 * override is ignored and reported once through `warn` (a message for stderr, never stdout).
 *
 * @throws {UserError} when neither XDG_CONFIG_HOME nor HOME gives a user root.
 * @example
 * ```ts
 * import { registryRoots } from "./mod.ts";
 * const roots = registryRoots((n) => Deno.env.get(n), Deno.uid() ?? 0, console.error);
 * ```
 */
export function registryRoots(
  env: EnvLookup,
  uid: number,
  warn: (message: string) => void,
): RegistryRoots {
  const user = openshellDir("config", env, uid);
  return { user, system: systemRoot(env, warn).path };
}
