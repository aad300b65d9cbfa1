import { isAbsolute, join } from "../path/mod.ts";
import { UserError } from "../errors/mod.ts";

/** Reads one environment variable; `undefined` when unset. */
export type EnvLookup = (name: string) => string | undefined;

/**
 * The kinds of openshell directories: `config` (the user gateway registry), `cache`
 * (unpacked rootfs images), `state` (persistent per-gateway state) and `runtime`
 * (staged bundles and runtime state for the current boot).
 */
export type DirKind = "config" | "cache" | "state" | "runtime";

const XDG: Record<DirKind, { variable: string; homeRelative: string; root: string | undefined }> = {
  config: { variable: "XDG_CONFIG_HOME", homeRelative: ".config", root: undefined },
  cache: { variable: "XDG_CACHE_HOME", homeRelative: ".cache", root: "/var/cache/openshell" },
  state: { variable: "XDG_STATE_HOME", homeRelative: ".local/state", root: "/var/lib/openshell" },
  runtime: { variable: "XDG_RUNTIME_DIR", homeRelative: "", root: "/run/openshell" },
};

/**
 * Decides an openshell directory from the environment and the effective uid.
 *
 * An explicitly set, absolute XDG variable wins, for root too (that keeps tests and unusual
 * setups inside the directories they name), except root's runtime dir: that is always
 * `/run/openshell`, since a login session's 0700 `/run/user/0` is out of reach of the
 * container's root (uid 65532). Otherwise ordinary users get the XDG defaults under `HOME`
 * and root gets system locations: `/var/cache/openshell`, `/var/lib/openshell`. An ordinary
 * user without `XDG_RUNTIME_DIR` gets `/run/user/<uid>/openshell` when the login session made
 * that directory, else a private `/tmp/openshell-<uid>` (as podman does). The config root is
 * always the user's own, for root as for anyone.
 *
 * @throws {UserError} when no directory can be derived (no HOME and no XDG variable).
 * @example
 * ```ts
 * import { openshellDir } from "./mod.ts";
 * openshellDir("cache", (n) => (n === "HOME" ? "/home/a" : undefined), 1000);
 * // "/home/a/.cache/openshell"
 * ```
 */
export function openshellDir(
  kind: DirKind,
  env: EnvLookup,
  uid: number,
  isOwnedDir: (path: string, uid: number) => boolean = ownedDirectory,
): string {
  const { variable, homeRelative, root } = XDG[kind];
  if (kind === "runtime" && uid === 0) return root!;
  const value = env(variable);
  if (value !== undefined && isAbsolute(value)) return join(value, "openshell");
  if (uid === 0 && root !== undefined) return root;
  if (kind === "runtime") {
    const session = `/run/user/${uid}`;
    return isOwnedDir(session, uid) ? join(session, "openshell") : `/tmp/openshell-${uid}`;
  }
  const home = env("HOME");
  if (!home || !isAbsolute(home)) {
    throw new UserError(`Cannot find the ${kind} directory: neither ${variable} nor HOME is set`, {
      hint: `Set HOME or ${variable} to an absolute path`,
    });
  }
  return join(home, homeRelative, "openshell");
}

/** Whether `path` is a directory (not a symlink) owned by `uid`. */
function ownedDirectory(path: string, uid: number): boolean {
  try {
    const info = Deno.lstatSync(path);
    return info.isDirectory && info.uid === uid;
  } catch {
    return false;
  }
}

/** The process environment as an {@linkcode EnvLookup}. */
export const processEnv: EnvLookup = (name) => Deno.env.get(name);

/** The effective uid of this process (0 on platforms without uids). */
export function effectiveUid(): number {
  return Deno.uid() ?? 0;
}
