/**
 * Which OCI runtime `serve` uses when none is named: a pure decision over host facts, and
 * the gathering of those facts (the runtimes installed, the cgroup layout and delegation,
 * the caller's uid, whether unprivileged user namespaces are allowed).
 *
 * @module
 */
import { delimiter, isAbsolute, join } from "node:path";
import type { EnvLookup } from "../xdg_dirs.ts";
import type { CgroupLayout } from "./cgroup_path.ts";
import { callerGroups, cgroupDelegated, readCgroupFacts } from "./cgroup_facts.ts";
import { INSTALL_HINTS, RUNTIME_NAMES, type RuntimeName } from "./oci_runtime.ts";
import { readUserNamespaceFacts, userNamespacesAllowed } from "./user_namespaces.ts";

/** What decides the runtime. */
export interface RuntimeHostFacts {
  uid: number;
  layout: CgroupLayout;
  /** The caller may create cgroups in every hierarchy a runtime would use. */
  delegated: boolean;
  /** An unprivileged user may create user namespaces here. */
  userNamespaces: boolean;
  /** The runtimes found, by name: the path of each. */
  installed: Partial<Record<RuntimeName, string>>;
}

/** The runtime chosen and why, or why none can run here and what to do. */
export type RuntimeChoice =
  | { runtime: RuntimeName; path: string; reason: string }
  | { runtime: undefined; reason: string; remedy: string };

const NOT_DELEGATED =
  "youki cannot create cgroups rootless on this cgroup v1 host without a delegated subtree";

/**
 * The runtime `serve` uses by default: youki when it can run here as this user, otherwise
 * runc, then crun (which refuses v1/hybrid hosts), each only when installed.
 *
 * @example
 * ```ts
 * chooseRuntime({
 *   uid: 1000, layout: "hybrid", delegated: false, userNamespaces: true,
 *   installed: { youki: "/usr/local/bin/youki", runc: "/usr/sbin/runc" },
 * });
 * // { runtime: "runc", path: "/usr/sbin/runc", reason: "youki cannot create cgroups ...; using runc" }
 * ```
 */
export function chooseRuntime(facts: RuntimeHostFacts): RuntimeChoice {
  const rootless = facts.uid !== 0;
  if (rootless && !facts.userNamespaces) {
    return {
      runtime: undefined,
      reason: "unprivileged user namespaces are disabled, so no runtime can run rootless",
      remedy: "As root: `sysctl -w kernel.unprivileged_userns_clone=1` and " +
        "`sysctl -w user.max_user_namespaces=15000`, or run serve as root",
    };
  }
  const youkiRuns = !rootless || facts.layout === "unified" || facts.delegated;
  const youki = facts.installed.youki;
  if (youki !== undefined && youkiRuns) {
    return {
      runtime: "youki",
      path: youki,
      reason: rootless && facts.layout !== "unified"
        ? "youki runs rootless in your delegated cgroup subtree"
        : "youki is the default runtime and can run here",
    };
  }
  const why = youki === undefined ? "youki is not installed" : NOT_DELEGATED;
  const fallbacks: RuntimeName[] = facts.layout === "unified" ? ["runc", "crun"] : ["runc"];
  for (const name of fallbacks) {
    const path = facts.installed[name];
    if (path !== undefined) return { runtime: name, path, reason: `${why}; using ${name}` };
  }
  return {
    runtime: undefined,
    reason: `${why}, and no fallback runtime (${fallbacks.join(", ")}) is installed`,
    remedy: youki === undefined
      ? INSTALL_HINTS.youki.replace(/, or choose .*$/, "")
      : "Install runc with `apt-get install runc`, or delegate a cgroup subtree to this user " +
        "(see the README)",
  };
}

/**
 * Every known runtime on `PATH` (the first of each name), by name.
 *
 * @example
 * ```ts
 * await findRuntimes(processEnv); // { youki: "/usr/local/bin/youki", runc: "/usr/sbin/runc" }
 * ```
 */
export async function findRuntimes(env: EnvLookup): Promise<Partial<Record<RuntimeName, string>>> {
  const found: Partial<Record<RuntimeName, string>> = {};
  for (const name of RUNTIME_NAMES) {
    for (const dir of (env("PATH") ?? "").split(delimiter)) {
      if (dir === "" || !isAbsolute(dir)) continue;
      const path = join(dir, name);
      const info = await Deno.stat(path).catch(() => undefined);
      if (info?.isFile && ((info.mode ?? 0) & 0o111) !== 0) {
        found[name] = path;
        break;
      }
    }
  }
  return found;
}

/** Gathers the facts {@linkcode chooseRuntime} decides on, for the calling process. */
export async function readRuntimeHostFacts(
  env: EnvLookup,
  uid: number,
): Promise<RuntimeHostFacts> {
  const [cgroups, userns, installed] = await Promise.all([
    callerGroups().then((gids) => readCgroupFacts(uid, gids)),
    readUserNamespaceFacts(),
    findRuntimes(env),
  ]);
  return {
    uid,
    layout: cgroups.layout,
    delegated: cgroupDelegated(cgroups),
    userNamespaces: userNamespacesAllowed(userns),
    installed,
  };
}
