/**
 * Which OCI runtime `serve` uses when none is named: youki when it can run on this host as
 * this user, else the first of runc and crun that is installed and can; or none, and why. One
 * pure decision over host facts, and a thin function that gathers those facts, so `serve` and
 * `doctor` report the same choice for the same reason.
 *
 * @module
 */
import type { EnvLookup } from "../host/mod.ts";
import { callerGroups, cgroupDelegated, readCgroupFacts } from "./cgroup_facts.ts";
import { type CgroupLayout, detectCgroupLayout } from "./_cgroup_path.ts";
import { UserError } from "../errors/mod.ts";
import {
  installCommands,
  locateRuntime,
  type OciRuntime,
  type ProgramOrigin,
  programOrigin,
  RUNTIME_NAMES,
  type RuntimeName,
} from "./oci_runtime.ts";

/** What decides the runtime. */
export interface RuntimeHostFacts {
  /** The caller's effective uid. */
  uid: number;
  layout: CgroupLayout;
  /**
   * Whether the caller may create cgroups below its own in every v1 controller (see
   * `cgroupDelegated`: a read-only controller stops root too), so youki can create the
   * container's cgroup.
   */
  cgroupDelegated: boolean;
  /** The path of each runtime found on this machine. */
  installed: Partial<Record<RuntimeName, string>>;
}

/**
 * The decision: the runtime to use (with a note when it is not youki, saying why), or why
 * none can run here and the remedy. `serve` refuses with the reason and remedy `doctor`
 * prints.
 */
export type RuntimeChoice =
  | { name: RuntimeName; path: string; note?: string }
  | { name: undefined; reason: string; remedy: string };

/** Why no runtime runs as root where the v1 controllers are read-only, and the remedy. */
export const READ_ONLY_CGROUPS = {
  reason: "the cgroup v1 controllers are mounted read-only here, so no runtime can create the " +
    "container's cgroup",
  remedy: "Run serve on the host, or give this container writable cgroups (systemd-nspawn: " +
    "boot it with SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1 for cgroup v2)",
} as const;

/**
 * Why the runtime `name` cannot run here as this user, or `undefined` when it can. youki's
 * v1 manager must create the container's cgroup in every controller: as root that needs
 * writable v1 controllers (a container's view of a host's may be read-only), rootless a
 * delegated subtree. runc as root needs the same; rootless, it runs without a cgroup. crun
 * refuses v1/hybrid hosts. A unified (cgroup2-only) host suits them all.
 *
 * @example
 * ```ts
 * import { runtimeBlocker } from "./mod.ts";
 * runtimeBlocker("youki", { uid: 1000, layout: "hybrid", cgroupDelegated: false, installed: {} });
 * // "youki cannot create cgroups rootless on this cgroup v1 host without a delegated subtree"
 * ```
 */
export function runtimeBlocker(name: RuntimeName, facts: RuntimeHostFacts): string | undefined {
  if (facts.layout === "unified") return undefined;
  if (name === "crun") return `crun refuses cgroup v1 (${facts.layout}) hosts`;
  if (facts.cgroupDelegated) return undefined;
  if (facts.uid === 0) return READ_ONLY_CGROUPS.reason;
  return name === "youki"
    ? "youki cannot create cgroups rootless on this cgroup v1 host without a delegated subtree"
    : undefined;
}

/**
 * The runtime to use when none is named: youki when installed and able to run here, else
 * runc, then crun, when installed and able to, with a note saying why; else why none can
 * run and what to do, the command named for this program (`origin`, asked only then).
 *
 * @example
 * ```ts
 * import { chooseRuntime } from "./mod.ts";
 * chooseRuntime({ uid: 1000, layout: "hybrid", cgroupDelegated: false, installed: { youki: "/y", runc: "/r" } }, () => ({ kind: "other" }));
 * // { name: "runc", path: "/r", note: "youki cannot create cgroups rootless ...; using runc" }
 * ```
 */
export function chooseRuntime(
  facts: RuntimeHostFacts,
  origin: () => ProgramOrigin,
): RuntimeChoice {
  const youki = facts.installed.youki;
  const why = youki === undefined ? "youki is not installed" : runtimeBlocker("youki", facts);
  if (why === undefined) return { name: "youki", path: youki! };
  const blocked: string[] = [];
  for (const name of RUNTIME_NAMES) {
    const path = facts.installed[name];
    if (name === "youki" || path === undefined) continue;
    const blocker = runtimeBlocker(name, facts);
    if (blocker === undefined) return { name, path, note: `${why}; using ${name}` };
    if (blocker !== why) blocked.push(blocker);
  }
  // Where cgroups stop every runtime, installing one does not help.
  if (runtimeBlocker("runc", facts) === READ_ONLY_CGROUPS.reason) {
    return { name: undefined, ...READ_ONLY_CGROUPS };
  }
  const install = installCommands(origin());
  const fallbacks = blocked.length > 0
    ? `, and ${blocked.join(", and ")}`
    : ", and no fallback runtime (runc, crun) is installed";
  return {
    name: undefined,
    reason: `${why}${fallbacks}`,
    // Installing youki helps only where it could run.
    remedy: runtimeBlocker("youki", facts) === undefined
      ? install.youki
      : `${install.runc}, or delegate a cgroup subtree to this user (README: "Rootless youki ` +
        `on cgroup v1/hybrid hosts")`,
  };
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
 * @throws {UserError} when the runtime is missing, or none can run here.
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
  // youki first, preferred whenever it can run: the others are looked for only when not.
  const first = chooseRuntime(await gatherRuntimeFacts(env, options.uid, ["youki"]), programOrigin);
  const choice = first.name === "youki"
    ? first
    : chooseRuntime(await gatherRuntimeFacts(env, options.uid), programOrigin);
  if (choice.name === undefined) {
    throw new UserError(`No OCI runtime can run here: ${choice.reason}`, { hint: choice.remedy });
  }
  const runtime = { name: choice.name, path: choice.path };
  return choice.note ? { runtime, note: choice.note } : { runtime };
}

/**
 * Gathers {@linkcode RuntimeHostFacts} from this host: the cgroup layout, whether the
 * caller's cgroup is delegated in every v1 controller, and which of `names` are installed
 * (found as `serve --runtime NAME` would find them).
 */
export async function gatherRuntimeFacts(
  env: EnvLookup,
  uid: number,
  names: readonly RuntimeName[] = RUNTIME_NAMES,
): Promise<RuntimeHostFacts> {
  const layout = detectCgroupLayout();
  const installed: Partial<Record<RuntimeName, string>> = {};
  await Promise.all(names.map(async (name) => {
    // Only the name's own lookup: an explicit runtime path is honoured by the caller.
    const lookup = (variable: string) =>
      variable === "OPENSHELL_OCI_RUNTIME" ? undefined : env(variable);
    const found = await locateRuntime({ name, env: lookup }).catch(() => undefined);
    if (found) installed[name] = found.path;
  }));
  const delegated = cgroupDelegated(readCgroupFacts(uid, callerGroups()));
  return { uid, layout, cgroupDelegated: delegated, installed };
}
