import { quoted } from "../errors/mod.ts";
import { readRegularTextFileSync, REGISTRY_FILE_MAX_BYTES } from "../bounded_read/mod.ts";
import { UserError } from "../errors/mod.ts";
import { osReason } from "../errors/mod.ts";
import { ACTIVE_FILE, activeFilePath } from "./layout.ts";
import { isValidGatewayName, validateGatewayName } from "./gateway_name.ts";
import type { RegistryRoots } from "./registry_roots.ts";

/** Why a gateway is the active one, in precedence order. */
export type ActiveReason = "flag" | "env" | "user" | "system";

/** The gateway in use and why. */
export interface ActiveGateway {
  readonly name: string;
  readonly reason: ActiveReason;
  /** The `active_gateway` file it came from, for `user` and `system`. */
  readonly path: string | undefined;
}

/** Inputs to {@linkcode resolveActiveGateway} besides the registry files. */
export interface ActiveGatewayInputs {
  /** The `-g/--gateway` value. */
  flag?: string | undefined;
  /** The `OPENSHELL_GATEWAY` value; blank counts as unset. */
  env?: string | undefined;
  /** Receives a message for each active file that is ignored (unreadable, invalid name). */
  warn?: (message: string) => void;
}

/** The environment variable that overrides the active files. */
export const ACTIVE_GATEWAY_VARIABLE = "OPENSHELL_GATEWAY";

/**
 * Decides the active gateway: `-g/--gateway`, then `OPENSHELL_GATEWAY` (blank is unset), then
 * the user `active_gateway`, then the system one. The system file is read only when the user
 * file is missing, unreadable, blank or holds an invalid name. The name is not looked up: a
 * user file naming a missing gateway does not fall back, the lookup of its metadata fails.
 *
 * @throws {UserError} when the flag or the variable holds an invalid name.
 * @example
 * ```ts
 * import { type RegistryRoots, resolveActiveGateway } from "./mod.ts";
 * const roots: RegistryRoots = { user: "/home/ada/.config/openshell", system: "/etc/openshell" };
 * const active = await resolveActiveGateway(roots, { env: Deno.env.get("OPENSHELL_GATEWAY") });
 * active?.reason; // "flag" | "env" | "user" | "system"
 * ```
 */
export function resolveActiveGateway(
  roots: RegistryRoots,
  inputs: ActiveGatewayInputs = {},
): Promise<ActiveGateway | undefined> {
  return Promise.resolve().then(() => {
    if (inputs.flag !== undefined) {
      return { name: validateGatewayName(inputs.flag), reason: "flag" as const, path: undefined };
    }
    if (inputs.env !== undefined && inputs.env.trim() !== "") {
      const name = inputs.env.trim();
      try {
        validateGatewayName(name);
      } catch (error) {
        if (!(error instanceof UserError)) throw error;
        throw new UserError(`${ACTIVE_GATEWAY_VARIABLE}: ${error.message}`, {
          hint: `Unset ${ACTIVE_GATEWAY_VARIABLE} or set it to a registered gateway name`,
        });
      }
      return { name, reason: "env" as const, path: undefined };
    }
    const warn = inputs.warn ?? (() => {});
    for (const [root, reason] of [[roots.user, "user"], [roots.system, "system"]] as const) {
      if (!mayHoldActiveFile(root)) continue;
      const path = activeFilePath(root);
      const name = readActiveFile(path, warn);
      if (name !== undefined) return { name, reason, path };
    }
    return undefined;
  });
}

/**
 * Whether `root` may hold an active file: false only when a look at the directory finds none
 * there, or no directory. A root without one is usual (the system root nearly always), and the
 * look costs less than the error a failed read raises; what the look cannot tell (a directory
 * that cannot be listed) is left to the read.
 */
function mayHoldActiveFile(root: string): boolean {
  try {
    for (const entry of Deno.readDirSync(root)) if (entry.name === ACTIVE_FILE) return true;
    return false;
  } catch (error) {
    return !(error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory);
  }
}

/**
 * Reads one `active_gateway` file: the trimmed name, or undefined when the file is missing,
 * blank, unreadable or holds an invalid name (the last two reported through `warn`).
 */
export function readActiveFile(path: string, warn: (message: string) => void): string | undefined {
  let text: string;
  try {
    text = readRegularTextFileSync(path, REGISTRY_FILE_MAX_BYTES);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
      return undefined;
    }
    warn(`ignoring active gateway file "${path}": ${osReason(error)}`);
    return undefined;
  }
  const name = text.trim();
  if (name === "") return undefined;
  if (!isValidGatewayName(name)) {
    warn(`ignoring active gateway file "${path}": invalid gateway name '${quoted(name)}'`);
    return undefined;
  }
  return name;
}
