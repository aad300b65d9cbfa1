/**
 * Where the two registries are: the user root from the environment, and the system root, read
 * on every command and by `openshell version`, so it imports no `node:*` module: one
 * environment lookup and at most two small file reads.
 *
 * @module
 */
import { compiledSetting, type EnvLookup, installedSetting, openshellDir } from "../host/mod.ts";

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
 * else the installed default ({@linkcode systemRootDefault}). An empty or relative
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

/** The built-in system registry root, used when neither the variable nor an installer moves it. */
export const DEFAULT_SYSTEM_ROOT = "/etc/openshell";

/** The environment variable that moves the system registry root. */
export const SYSTEM_ROOT_VARIABLE = "OPENSHELL_SYSTEM_GATEWAY_DIR";

/** The file, under the program's lib dir or its compiled settings, that moves the default. */
export const SYSTEM_ROOT_SETTING = "system-gateway-dir";

/**
 * Where the system root came from: the variable, the installer (`install.sh --system-dir`,
 * the Debian package), the build (`deno task compile --system-dir`), or the built-in default.
 */
export type SystemRootSource = "variable" | "installed" | "compiled" | "built-in";

/** The system root the program uses when the variable is not set, and where that came from. */
export interface SystemRootDefault {
  path: string;
  source: Exclude<SystemRootSource, "variable">;
  /** The settings file that set it; absent for the built-in default. */
  file?: string;
}

let defaultMemo: SystemRootDefault | undefined;

/**
 * The system root when `OPENSHELL_SYSTEM_GATEWAY_DIR` is not set: what the installer left
 * beside the program, else what the build embedded, else `/etc/openshell`.
 *
 * @example
 * ```ts
 * import { systemRootDefault } from "./mod.ts";
 * systemRootDefault(); // { path: "/etc/openshell", source: "built-in" } in a checkout
 * ```
 */
export function systemRootDefault(): SystemRootDefault {
  if (defaultMemo) return defaultMemo;
  const installed = installedSetting(SYSTEM_ROOT_SETTING);
  const compiled = installed ? undefined : compiledSetting(SYSTEM_ROOT_SETTING);
  defaultMemo = installed
    ? { path: installed.value, source: "installed", file: installed.file }
    : compiled
    ? { path: compiled.value, source: "compiled", file: compiled.file }
    : { path: DEFAULT_SYSTEM_ROOT, source: "built-in" };
  return defaultMemo;
}

/** The system root in use and where it came from, as `--version -o json` reports it. */
export interface SystemRootOrigin {
  path: string;
  source: SystemRootSource;
  /** The settings file, for `installed` and `compiled`. */
  file?: string;
}

/**
 * Decides the system registry root: `OPENSHELL_SYSTEM_GATEWAY_DIR` when it is a non-empty
 * absolute path, else {@linkcode systemRootDefault}. A set but unusable variable is reported
 * once through `warn`.
 *
 * @example
 * ```ts
 * import { systemRoot } from "./mod.ts";
 * systemRoot((n) => Deno.env.get(n), console.error); // { path: "/etc/openshell", source: "built-in" }
 * ```
 */
export function systemRoot(env: EnvLookup, warn: (message: string) => void): SystemRootOrigin {
  const override = env(SYSTEM_ROOT_VARIABLE);
  if (override !== undefined && override.startsWith("/")) {
    return { path: override, source: "variable" };
  }
  const fallback = systemRootDefault();
  if (override !== undefined) {
    const why = override === "" ? "it is empty" : "it is not an absolute path";
    warn(`ignoring ${SYSTEM_ROOT_VARIABLE}='${override}': ${why}; using ${fallback.path}`);
  }
  return fallback;
}
