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

const XDG: Record<
  Exclude<DirKind, "runtime">,
  { variable: string; homeRelative: string; root: string | undefined }
> = {
  config: { variable: "XDG_CONFIG_HOME", homeRelative: ".config", root: undefined },
  cache: { variable: "XDG_CACHE_HOME", homeRelative: ".cache", root: "/var/cache/openshell" },
  state: { variable: "XDG_STATE_HOME", homeRelative: ".local/state", root: "/var/lib/openshell" },
};

/**
 * Decides an openshell directory from the environment and the effective uid.
 *
 * An explicitly set, absolute XDG variable wins, for root too (that keeps tests and unusual
 * setups inside the directories they name), except for the runtime dir (see
 * {@linkcode runtimeDirChoice}). Otherwise ordinary users get the XDG defaults under `HOME`
 * and root gets system locations: `/var/cache/openshell`, `/var/lib/openshell`. The config
 * root is always the user's own, for root as for anyone.
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
  look: (path: string) => DirFacts | undefined = lookDir,
): string {
  if (kind === "runtime") return runtimeDirChoice(env, uid, look).path;
  const { variable, homeRelative, root } = XDG[kind];
  const value = env(variable);
  if (value !== undefined && isAbsolute(value)) return join(value, "openshell");
  if (uid === 0 && root !== undefined) return root;
  const home = env("HOME");
  if (!home || !isAbsolute(home)) {
    throw new UserError(`Cannot find the ${kind} directory: neither ${variable} nor HOME is set`, {
      hint: `Set HOME or ${variable} to an absolute path`,
    });
  }
  return join(home, homeRelative, "openshell");
}

/** What decides whether a directory is private to a user; `undefined` when it is missing. */
export interface DirFacts {
  /** A directory itself, not a symbolic link to one. */
  isDirectory: boolean;
  isSymlink: boolean;
  uid: number;
  mode: number;
}

/**
 * Why a directory with these facts cannot hold `uid`'s runtime files, or `undefined` when it
 * can: it must be a directory (not a link), owned by `uid`, that nobody else can write. A
 * shared world-writable parent such as `/tmp` is not one: another user could create or
 * replace what serve puts there.
 *
 * @example
 * ```ts
 * import { privateDirProblem } from "./xdg_dirs.ts";
 * privateDirProblem({ isDirectory: true, isSymlink: false, uid: 0, mode: 0o41777 }, 1000);
 * // "belongs to uid 0 and is writable by others (mode 1777)"
 * ```
 */
export function privateDirProblem(info: DirFacts | undefined, uid: number): string | undefined {
  if (info === undefined) return "does not exist";
  if (info.isSymlink) return "is a symbolic link";
  if (!info.isDirectory) return "is not a directory";
  const mode = (info.mode & 0o7777).toString(8).padStart(4, "0");
  const foreign = info.uid !== uid ? `belongs to uid ${info.uid}` : undefined;
  const open = (info.mode & 0o022) !== 0 ? `is writable by others (mode ${mode})` : undefined;
  if (foreign === undefined && open === undefined) return undefined;
  return [foreign, open].filter((part) => part !== undefined).join(" and ");
}

/** The runtime dir serve and every other command use, and why `XDG_RUNTIME_DIR` was not. */
export interface RuntimeDirChoice {
  /** openshell's runtime dir. */
  path: string;
  /** Set when `XDG_RUNTIME_DIR` is set but not a private dir: the variable and the reason. */
  ignored?: string;
}

/**
 * Where openshell keeps bundles and runtime state. Root: always `/run/openshell`, since a
 * login session's 0700 `/run/user/0` is out of reach of the container's root (uid 65532). An
 * ordinary user: `$XDG_RUNTIME_DIR/openshell` when that variable names a private directory
 * ({@linkcode privateDirProblem}); otherwise, as the XDG spec asks of a missing or unsafe
 * one, `/run/user/<uid>/openshell` when the login session made that directory private to the
 * user, else a private `/tmp/openshell-<uid>` (as podman does), saying why the variable was
 * ignored.
 *
 * @example
 * ```ts
 * import { runtimeDirChoice } from "./xdg_dirs.ts";
 * runtimeDirChoice((n) => (n === "XDG_RUNTIME_DIR" ? "/tmp" : undefined), 1000);
 * // { path: "/tmp/openshell-1000", ignored: 'XDG_RUNTIME_DIR "/tmp" belongs to uid 0 and ...' }
 * ```
 */
export function runtimeDirChoice(
  env: EnvLookup,
  uid: number,
  look: (path: string) => DirFacts | undefined = lookDir,
): RuntimeDirChoice {
  if (uid === 0) return { path: ROOT_RUNTIME_DIR };
  const value = env("XDG_RUNTIME_DIR");
  let ignored: string | undefined;
  if (value !== undefined && value !== "") {
    const problem = isAbsolute(value)
      ? privateDirProblem(look(value), uid)
      : "is not an absolute path";
    if (problem === undefined) return { path: join(value, "openshell") };
    ignored = `XDG_RUNTIME_DIR "${value}" ${problem}`;
  }
  const path = gatewayHomes(uid, look)[0]!;
  return ignored === undefined ? { path } : { path, ignored };
}

/**
 * Where the running gateways of `uid` are kept (each one's lock, launch record and served
 * record), whatever `XDG_RUNTIME_DIR` says, so that every shell of that user finds them:
 * root's `/run/openshell`; an ordinary user's `/run/user/<uid>/openshell` when the login
 * session made `/run/user/<uid>` private to the user, else `/tmp/openshell-<uid>` (the runtime
 * dir without the variable). A launch uses the first; readers look in each (a login session
 * may have begun or ended since).
 *
 * @example
 * ```ts
 * import { gatewayHomes } from "./xdg_dirs.ts";
 * gatewayHomes(1000, () => undefined); // ["/tmp/openshell-1000", "/run/user/1000/openshell"]
 * ```
 */
export function gatewayHomes(
  uid: number,
  look: (path: string) => DirFacts | undefined = lookDir,
): string[] {
  if (uid === 0) return [ROOT_RUNTIME_DIR];
  const session = `/run/user/${uid}`;
  const fallback = `/tmp/openshell-${uid}`;
  return privateDirProblem(look(session), uid) === undefined
    ? [join(session, "openshell"), fallback]
    : [fallback, join(session, "openshell")];
}

/**
 * The names that have a directory in one of `uid`'s gateway homes: the only gateways that can
 * be served now (one directory read per home, however many gateways are registered).
 *
 * @example
 * ```ts
 * import { namesInGatewayHomes } from "./xdg_dirs.ts";
 * namesInGatewayHomes(1000).has("local"); // true once `serve` has run it
 * ```
 */
export function namesInGatewayHomes(uid: number): Set<string> {
  const names = new Set<string>();
  for (const home of gatewayHomes(uid)) {
    try {
      for (const entry of Deno.readDirSync(join(home, "gateways"))) names.add(entry.name);
    } catch {
      // No gateway has run from this home.
    }
  }
  return names;
}

/** Root's runtime dir, whatever `XDG_RUNTIME_DIR` says. */
const ROOT_RUNTIME_DIR = "/run/openshell";

/** The facts of `path` itself (a link is not followed); `undefined` when it is missing. */
function lookDir(path: string): DirFacts | undefined {
  try {
    const info = Deno.lstatSync(path);
    return {
      isDirectory: info.isDirectory,
      isSymlink: info.isSymlink,
      uid: info.uid ?? -1,
      mode: info.mode ?? 0,
    };
  } catch {
    return undefined;
  }
}

/** The process environment as an {@linkcode EnvLookup}. */
export const processEnv: EnvLookup = (name) => Deno.env.get(name);

/** The effective uid of this process (0 on platforms without uids). */
export function effectiveUid(): number {
  return Deno.uid() ?? 0;
}
