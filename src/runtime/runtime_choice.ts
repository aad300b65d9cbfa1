/**
 * Which OCI runtime `serve` uses when none is named: youki when it can run on this host as
 * this user, else the first of runc and crun that is installed. One pure decision over host
 * facts, and a thin function that gathers those facts, so `serve` and a host check report
 * the same choice for the same reason.
 *
 * @module
 */
import type { EnvLookup } from "../host/mod.ts";
import { callerGroups, cgroupDelegated, readCgroupFacts } from "./cgroup_facts.ts";
import { type CgroupLayout, detectCgroupLayout } from "./_cgroup_path.ts";
import { locateRuntime, type OciRuntime, RUNTIME_NAMES, type RuntimeName } from "./oci_runtime.ts";

/** What decides the runtime. */
export interface RuntimeHostFacts {
  /** The caller's effective uid. */
  uid: number;
  layout: CgroupLayout;
  /**
   * Whether the caller may create cgroups below its own in every v1 controller (see
   * `cgroupDelegated`), so a rootless youki can create the container's cgroup.
   */
  cgroupDelegated: boolean;
  /** The path of each runtime found on this machine. */
  installed: Partial<Record<RuntimeName, string>>;
}

/** The decision: the runtime to use, and why it is not youki when it is not. */
export interface RuntimeChoice {
  name: RuntimeName;
  /** Its executable; absent when none is installed (locating it then reports the install). */
  path?: string;
  /** One line for stderr when the choice is not the plain default. */
  note?: string;
}

/**
 * Why youki cannot run here as this user, or `undefined` when it can: as root always, on a
 * unified (cgroup2-only) host always, on a v1/hybrid host rootless only with a delegated
 * cgroup (its v1 manager must create the container's cgroup in every controller).
 *
 * @example
 * ```ts
 * import { youkiBlocker } from "./mod.ts";
 * youkiBlocker({ uid: 1000, layout: "hybrid", cgroupDelegated: false, installed: {} });
 * // "youki cannot create cgroups rootless on this cgroup v1 host without a delegated subtree"
 * ```
 */
export function youkiBlocker(facts: RuntimeHostFacts): string | undefined {
  if (facts.uid === 0 || facts.layout === "unified" || facts.cgroupDelegated) return undefined;
  return "youki cannot create cgroups rootless on this cgroup v1 host without a delegated subtree";
}

/**
 * The runtime to use when none is named: youki when installed and able to run here, else
 * runc, then crun, when installed, with a note saying why. When no fallback is installed it
 * stays youki (its failure explains the remedies); when nothing is installed, youki without
 * a path (locating it names the install command).
 *
 * @example
 * ```ts
 * import { chooseRuntime } from "./mod.ts";
 * chooseRuntime({ uid: 1000, layout: "hybrid", cgroupDelegated: false, installed: { youki: "/y", runc: "/r" } });
 * // { name: "runc", path: "/r", note: "youki cannot create cgroups rootless ...; using runc" }
 * ```
 */
export function chooseRuntime(facts: RuntimeHostFacts): RuntimeChoice {
  const youki = facts.installed.youki;
  const blocker = youki === undefined ? "youki is not installed" : youkiBlocker(facts);
  if (blocker === undefined) return { name: "youki", path: youki! };
  for (const name of RUNTIME_NAMES) {
    const path = facts.installed[name];
    if (name === "youki" || path === undefined) continue;
    return { name, path, note: `${blocker}; using ${name}` };
  }
  return youki === undefined ? { name: "youki" } : { name: "youki", path: youki };
}

/**
 * The runtime an explicit executable path is, by its file name (`/opt/bin/runc`: runc);
 * youki when the name is none of them.
 *
 * @example
 * ```ts
 * import { runtimeNameForPath } from "./mod.ts";
 * runtimeNameForPath("/usr/sbin/runc"); // "runc"
 * ```
 */
export function runtimeNameForPath(path: string): RuntimeName {
  const name = path.slice(path.lastIndexOf("/") + 1);
  return (RUNTIME_NAMES as readonly string[]).includes(name) ? name as RuntimeName : "youki";
}

/**
 * The runtime `serve` drives: the one named (`name`, or the runtime at `path` or
 * `$OPENSHELL_OCI_RUNTIME`), strictly; otherwise {@linkcode chooseRuntime} over this host's
 * facts, with its note when that is not youki.
 *
 * @throws {UserError} when the runtime is missing.
 * @example
 * ```ts
 * import { effectiveUid, processEnv } from "../host/mod.ts";
 * import { resolveRuntime } from "./mod.ts";
 * const { runtime, note } = await resolveRuntime({ env: processEnv, uid: effectiveUid() });
 * ```
 */
export async function resolveRuntime(options: {
  name?: RuntimeName | undefined;
  path?: string | undefined;
  env: EnvLookup;
  uid: number;
}): Promise<{ runtime: OciRuntime; note?: string }> {
  const { env } = options;
  const path = options.path ?? (env("OPENSHELL_OCI_RUNTIME") || undefined);
  if (options.name !== undefined || path !== undefined) {
    const name = options.name ?? runtimeNameForPath(path!);
    return { runtime: await locateRuntime({ name, path: options.path, env }) };
  }
  const choice = chooseRuntime(await gatherRuntimeFacts(env, options.uid));
  const runtime = choice.path !== undefined
    ? { name: choice.name, path: choice.path }
    : await locateRuntime({ name: choice.name, env });
  return choice.note ? { runtime, note: choice.note } : { runtime };
}

/**
 * Gathers {@linkcode RuntimeHostFacts} from this host: the cgroup layout, whether the
 * caller's cgroup is delegated in every v1 controller, and which runtimes are installed
 * (found as `serve --runtime NAME` would find them).
 */
export async function gatherRuntimeFacts(env: EnvLookup, uid: number): Promise<RuntimeHostFacts> {
  const layout = await detectCgroupLayout();
  const installed: Partial<Record<RuntimeName, string>> = {};
  await Promise.all(RUNTIME_NAMES.map(async (name) => {
    // Only the name's own lookup: an explicit runtime path is honoured by the caller.
    const lookup = (variable: string) =>
      variable === "OPENSHELL_OCI_RUNTIME" ? undefined : env(variable);
    const found = await locateRuntime({ name, env: lookup }).catch(() => undefined);
    if (found) installed[name] = found.path;
  }));
  const delegated = cgroupDelegated(await readCgroupFacts(uid, await callerGroups()));
  return { uid, layout, cgroupDelegated: delegated, installed };
}
