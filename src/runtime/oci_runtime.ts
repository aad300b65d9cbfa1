import { delimiter, isAbsolute, join } from "../path/mod.ts";
import type { EnvLookup } from "../host/mod.ts";
import { UserError } from "../errors/mod.ts";
import { privateExecDir } from "../host/mod.ts";

/** The OCI runtimes openshell knows; all share the `runc` command-line contract. */
export const RUNTIME_NAMES = ["youki", "runc", "crun"] as const;

/** One of {@linkcode RUNTIME_NAMES}. */
export type RuntimeName = (typeof RUNTIME_NAMES)[number];

/** A runtime found on this machine. */
export interface OciRuntime {
  name: RuntimeName;
  /** Absolute path of its executable. */
  path: string;
}

/** How to install each runtime, or choose another. */
export const INSTALL_HINTS: Record<RuntimeName, string> = {
  youki:
    "Install youki 0.7.0 with `scripts/install-youki.sh` (or `cargo install youki --version 0.7.0 --locked --features v1,v2,seccomp`), or choose another runtime with --runtime runc",
  runc: "Install runc with `apt-get install runc`, or choose another runtime with --runtime",
  crun: "Install crun with `apt-get install crun`, or choose another runtime with --runtime",
};

/**
 * Finds the OCI runtime to drive: an explicit path (`--runtime-path`, then the
 * `OPENSHELL_OCI_RUNTIME` variable) wins, then the one the package ships in the program's
 * private `<prefix>/libexec/openshell/`, then `name` on PATH.
 *
 * @throws {UserError} naming the install command when the runtime is missing.
 * @example
 * ```ts
 * import { processEnv } from "../host/mod.ts";
 * import { locateRuntime } from "./oci_runtime.ts";
 * await locateRuntime({ name: "youki", env: processEnv }); // { name: "youki", path: "/usr/local/bin/youki" }
 * ```
 */
export async function locateRuntime(
  options: { name: RuntimeName; path?: string | undefined; env: EnvLookup },
): Promise<OciRuntime> {
  const explicit = options.path ?? options.env("OPENSHELL_OCI_RUNTIME");
  if (explicit !== undefined && explicit !== "") {
    const path = isAbsolute(explicit) ? explicit : join(Deno.cwd(), explicit);
    if (await isExecutableFile(path)) return { name: options.name, path };
    throw new UserError(`OCI runtime "${explicit}" is not an executable file`, {
      hint: INSTALL_HINTS[options.name],
    });
  }
  const dirs = (options.env("PATH") ?? "").split(delimiter);
  const own = privateExecDir();
  if (own !== undefined) dirs.unshift(own);
  for (const dir of dirs) {
    if (dir === "" || !isAbsolute(dir)) continue;
    const path = join(dir, options.name);
    if (await isExecutableFile(path)) return { name: options.name, path };
  }
  const where = own === undefined ? "on PATH" : `in ${own} or on PATH`;
  throw new UserError(`OCI runtime "${options.name}" not found ${where}`, {
    hint: INSTALL_HINTS[options.name],
  });
}

async function isExecutableFile(path: string): Promise<boolean> {
  try {
    const info = await Deno.stat(path);
    return info.isFile && ((info.mode ?? 0) & 0o111) !== 0;
  } catch {
    return false;
  }
}

/** The variables a runtime process may see; nothing else of the caller's environment. */
export const RUNTIME_ENV_ALLOWLIST = ["PATH", "HOME", "XDG_RUNTIME_DIR", "LANG"] as const;

/**
 * The runtime process's environment: only {@linkcode RUNTIME_ENV_ALLOWLIST}, so no secret,
 * token, `LISTEN_FDS` or other user variable reaches the runtime or the container.
 *
 * @example
 * ```ts
 * import { runtimeEnv } from "./mod.ts";
 * runtimeEnv((n) => ({ PATH: "/bin", TOKEN: "x" })[n]); // { PATH: "/bin" }
 * ```
 */
export function runtimeEnv(env: EnvLookup): Record<string, string> {
  const result: Record<string, string> = {};
  for (const name of RUNTIME_ENV_ALLOWLIST) {
    const value = env(name);
    if (value !== undefined) result[name] = value;
  }
  result.PATH ??= "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  return result;
}
