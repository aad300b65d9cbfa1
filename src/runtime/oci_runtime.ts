import { delimiter, isAbsolute, join } from "../path/mod.ts";
import type { EnvLookup } from "../host/mod.ts";
import { shellWord, UserError } from "../errors/mod.ts";
import { checkoutDir, privateExecDir } from "../host/mod.ts";

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

/** What the program is, which decides how youki is (re)installed for it. */
export type ProgramOrigin =
  | { kind: "checkout"; dir: string }
  | { kind: "package" }
  | { kind: "other" };

/** dpkg's record of the installed Debian package, which ships youki in `libexec/openshell/`. */
const DEB_PACKAGE_RECORD = "/var/lib/dpkg/info/openshell.list";

/** What the running program is: a source checkout, the Debian package, or another install. */
export function programOrigin(): ProgramOrigin {
  const dir = checkoutDir();
  if (dir !== undefined && existsFile(join(dir, "scripts/install-youki.sh"))) {
    return { kind: "checkout", dir };
  }
  const own = privateExecDir();
  return own === "/usr/libexec/openshell" && existsFile(DEB_PACKAGE_RECORD)
    ? { kind: "package" }
    : { kind: "other" };
}

/**
 * How to install each runtime, as a sentence naming a command that works for this program:
 * youki from the checkout's script, by reinstalling the package that ships it, or with cargo.
 *
 * @example
 * ```ts
 * import { installCommands } from "./oci_runtime.ts";
 * installCommands({ kind: "package" }).youki;
 * // "Reinstall the package, which ships youki, as root: `apt-get install --reinstall openshell` ..."
 * ```
 */
export function installCommands(origin: ProgramOrigin): Record<RuntimeName, string> {
  const youki = origin.kind === "checkout"
    ? `Install youki 0.7.0 with \`${shellWord(join(origin.dir, "scripts/install-youki.sh"))}\``
    : origin.kind === "package"
    ? "Reinstall the package, which ships youki, as root: `apt-get install --reinstall " +
      "openshell` where an apt source has it, else `dpkg -i` of the openshell .deb you installed"
    : "Install youki 0.7.0 with `cargo install youki --version 0.7.0 --locked --features v1,v2,seccomp`";
  return {
    youki,
    runc: "Install runc with `apt-get install runc` (as root)",
    crun: "Install crun with `apt-get install crun` (as root)",
  };
}

/** How to install the runtime `name` here, or choose another. */
function installHint(name: RuntimeName): string {
  const other = name === "youki" ? "--runtime runc" : "--runtime";
  return `${installCommands(programOrigin())[name]}, or choose another runtime with ${other}`;
}

function existsFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

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
// deno-lint-ignore require-await
export async function locateRuntime(
  options: { name: RuntimeName; path?: string | undefined; env: EnvLookup },
): Promise<OciRuntime> {
  const explicit = options.path ?? options.env("OPENSHELL_OCI_RUNTIME");
  if (explicit !== undefined && explicit !== "") {
    const path = isAbsolute(explicit) ? explicit : join(Deno.cwd(), explicit);
    if (isExecutableFile(path)) return { name: options.name, path };
    throw new UserError(`OCI runtime "${explicit}" is not an executable file`, {
      hint: installHint(options.name),
    });
  }
  const dirs = (options.env("PATH") ?? "").split(delimiter);
  const own = privateExecDir();
  if (own !== undefined) dirs.unshift(own);
  for (const dir of dirs) {
    if (dir === "" || !isAbsolute(dir)) continue;
    const path = join(dir, options.name);
    if (isExecutableFile(path)) return { name: options.name, path };
  }
  const where = own === undefined ? "on PATH" : `in ${own} or on PATH`;
  throw new UserError(`OCI runtime "${options.name}" not found ${where}`, {
    hint: installHint(options.name),
  });
}

/**
 * Synchronous: a PATH walk is dozens of stats, and a thread-pool round trip for each would
 * cost more than the calls themselves.
 */
function isExecutableFile(path: string): boolean {
  try {
    const info = Deno.statSync(path);
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
