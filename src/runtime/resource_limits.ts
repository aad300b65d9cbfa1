/**
 * The container's cgroup limits: reading `--memory`, `--pids` and `--cpus`, and deciding
 * which of them the runtime's cgroup manager can apply for this caller on this host.
 *
 * @module
 */
import { join } from "../path/mod.ts";
import { type ContainerResources, ociResources } from "../container/mod.ts";
import { v1ControllerMounts } from "./cgroup_facts.ts";
import {
  callerCgroup,
  type CgroupLayout,
  decideCgroupsPath,
  detectCgroupLayout,
} from "./_cgroup_path.ts";
import type { RuntimeName } from "./oci_runtime.ts";

/** Which cgroup controller enforces each limit. */
const LIMIT_CONTROLLERS: Readonly<Record<keyof ContainerResources, string>> = {
  memoryBytes: "memory",
  pids: "pids",
  cpus: "cpu",
};

const SIZE_UNITS: Readonly<Record<string, number>> = {
  "": 1,
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
};

/** The smallest memory limit accepted: below this Deno cannot start. */
export const MIN_MEMORY_BYTES = 64 * 1024 ** 2;

/**
 * Reads a size such as `512M`, `512MiB`, `1g` or `268435456` (binary units, case-insensitive).
 *
 * @throws {RangeError} on anything else, or a size under {@linkcode MIN_MEMORY_BYTES}.
 * @example
 * ```ts
 * import { parseSize } from "./mod.ts";
 * parseSize("512MiB"); // 536870912
 * ```
 */
export function parseSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim());
  const unit = SIZE_UNITS[match?.[2]?.toLowerCase() ?? "?"];
  if (!match || unit === undefined) {
    throw new RangeError(`invalid size "${text}": expected a number with K, M or G`);
  }
  const bytes = Math.floor(Number(match[1]) * unit);
  if (bytes < MIN_MEMORY_BYTES) {
    throw new RangeError(`invalid size "${text}": at least 64M is needed`);
  }
  return bytes;
}

/**
 * Reads a whole number of at least `min`.
 *
 * @throws {RangeError} naming `what` otherwise.
 */
export function parseCount(text: string, what: string, min: number): number {
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text)) || Number(text) < min) {
    throw new RangeError(`invalid ${what} "${text}": expected a whole number of at least ${min}`);
  }
  return Number(text);
}

/**
 * Reads a number of CPUs such as `1`, `0.5` or `2.25`; `0` means no CPU cap.
 *
 * @throws {RangeError} for anything else or less than 0.01.
 */
export function parseCpus(text: string): number | undefined {
  if (!/^\d+(\.\d+)?$/.test(text)) {
    throw new RangeError(`invalid cpus "${text}": expected a number such as 1 or 0.5`);
  }
  const cpus = Number(text);
  if (cpus === 0) return undefined;
  if (cpus < 0.01) throw new RangeError(`invalid cpus "${text}": at least 0.01 is needed`);
  return cpus;
}

/** The facts that decide which limits can be applied. */
export interface LimitFacts {
  /** The container's cgroup path; `undefined` when the launch runs without its own cgroup. */
  cgroupsPath: string | undefined;
  rootless: boolean;
  layout: CgroupLayout;
  /** The controllers the container's cgroup can have (v1: mounted; v2: the parent's). */
  controllers: readonly string[];
  /** Whether the caller may create cgroups below its own (always for root). */
  delegated: boolean;
}

/** What the launch applies, and what it cannot with the reason. */
export interface LimitDecision {
  applied: ContainerResources;
  skipped: (keyof ContainerResources)[];
  reason?: string;
  /** With `reason`: what would let the skipped limits apply. */
  remedy?: string;
}

/**
 * Keeps the limits the cgroup manager can apply for this caller; the rest are skipped with
 * one reason. A rootless launch without its own cgroup (runc on v1 without delegation) or
 * without a delegated cgroup2 subtree can apply none.
 *
 * @example
 * ```ts
 * import { decideLimits } from "./resource_limits.ts";
 * decideLimits({ pids: 512 }, { cgroupsPath: undefined, rootless: true, layout: "hybrid",
 *   controllers: ["pids"], delegated: false });
 * // { applied: {}, skipped: ["pids"], reason: "..." }
 * ```
 */
export function decideLimits(wanted: ContainerResources, facts: LimitFacts): LimitDecision {
  const keys = (Object.keys(wanted) as (keyof ContainerResources)[])
    .filter((key) => wanted[key] !== undefined);
  let reason: string | undefined;
  let remedy: string | undefined;
  if (facts.cgroupsPath === undefined) {
    reason = "the runtime runs this rootless container without a cgroup of its own " +
      "(cgroup v1 without a delegated subtree)";
    remedy = "Have root delegate a cgroup subtree to you in every v1 controller and start " +
      'serve inside it (README: "Rootless youki on cgroup v1/hybrid hosts")';
  } else if (facts.rootless && facts.layout === "unified" && !facts.delegated) {
    reason = "your cgroup2 subtree is not delegated to you";
    remedy = "Start serve in a delegated subtree: put `systemd-run --user --scope -p " +
      "Delegate=yes` before the serve command";
  }
  if (reason !== undefined) {
    return keys.length === 0
      ? { applied: {}, skipped: [] }
      : { applied: {}, skipped: keys, reason, remedy: remedy! };
  }
  const applied: ContainerResources = {};
  const skipped: (keyof ContainerResources)[] = [];
  for (const key of keys) {
    if (facts.controllers.includes(LIMIT_CONTROLLERS[key])) applied[key] = wanted[key]!;
    else skipped.push(key);
  }
  if (skipped.length === 0) return { applied, skipped };
  const missing = skipped.map((key) => LIMIT_CONTROLLERS[key]).join(", ");
  return {
    applied,
    skipped,
    reason: `the cgroup controller(s) ${missing} are not available`,
    remedy: facts.layout === "unified"
      ? `Enable ${missing} for serve's cgroup: its parent's cgroup.subtree_control must list ` +
        "them (a container has them only when its host delegates them)"
      : `Mount the ${missing} cgroup v1 controller(s) under /sys/fs/cgroup`,
  };
}

/**
 * The limits as a warning, when some cannot be applied: the words `serve` warns with and
 * `doctor` reports.
 *
 * @example
 * ```ts
 * import { skippedLimitsWarning } from "./resource_limits.ts";
 * skippedLimitsWarning({ applied: {}, skipped: ["memoryBytes"], reason: "no memory controller" });
 * // "Running without the --memory limit(s): no memory controller"
 * ```
 */
export function skippedLimitsWarning(decision: LimitDecision): string | undefined {
  if (decision.reason === undefined) return undefined;
  const flags = decision.skipped.map((key) => key === "memoryBytes" ? "--memory" : `--${key}`);
  return `Running without the ${flags.join(", ")} limit(s): ${decision.reason}`;
}

/** A launch's cgroup: where it goes and which limits it carries. */
export interface LimitPlan {
  layout: CgroupLayout;
  /** The launcher's own cgroup. */
  callerPath: string;
  /** The container's cgroup path; `undefined` when the runtime is left to run without one. */
  cgroupsPath: string | undefined;
  decision: LimitDecision;
}

/**
 * Where a launch by this process (as `uid`) with `runtime` puts the container's cgroup, and
 * which of the `wanted` limits it applies there: the one reading `serve` launches with and
 * `doctor` reports.
 *
 * @throws {SyntaxError} when this process's cgroup cannot be read from `/proc/self/cgroup`.
 */
export async function planLimits(
  wanted: ContainerResources,
  options: { runtime: RuntimeName; uid: number; leaf: string },
): Promise<LimitPlan> {
  const rootless = options.uid !== 0;
  const layout = detectCgroupLayout();
  const callerPath = callerCgroup(Deno.readTextFileSync("/proc/self/cgroup"), layout);
  const cgroupsPath = decideCgroupsPath({
    runtime: options.runtime,
    rootless,
    layout,
    callerPath,
    leaf: options.leaf,
  });
  const decision = decideLimits(wanted, {
    cgroupsPath,
    rootless,
    layout,
    controllers: await availableControllers(layout, callerPath),
    delegated: layout === "unified" ? await cgroup2Delegated(options.uid, callerPath) : true,
  });
  return { layout, callerPath, cgroupsPath, decision };
}

/**
 * The controllers available to a container cgroup below `callerPath`: the mounted v1
 * controllers, or the caller's `cgroup.controllers` on cgroup2. Unreadable means none.
 */
export async function availableControllers(
  layout: CgroupLayout,
  callerPath: string,
  root = "/sys/fs/cgroup",
): Promise<string[]> {
  if (layout === "unified") {
    const text = await Deno.readTextFile(join(root, callerPath, "cgroup.controllers"))
      .catch(() => "");
    return text.trim().split(/\s+/).filter((c) => c !== "");
  }
  const mounts = v1ControllerMounts(root);
  return Object.values(LIMIT_CONTROLLERS).filter((c) =>
    mounts.some((m) => m.controllers.includes(c))
  );
}

/**
 * Whether `uid` owns its cgroup2 directory, so a rootless runtime can create the container's
 * cgroup with limits below it (root always may); the v1 question is `cgroupDelegated`.
 */
export async function cgroup2Delegated(
  uid: number,
  callerPath: string,
  root = "/sys/fs/cgroup",
): Promise<boolean> {
  if (uid === 0) return true;
  const info = await Deno.stat(join(root, callerPath)).catch(() => undefined);
  return info?.uid === uid;
}

/**
 * Who writes the limits into the container's cgroup: the runtime from the config, or, for a
 * rootless launch on cgroup v1, the launcher itself before the runtime starts (youki's v1
 * manager, given any limit, also writes device rules, which only a privileged caller may).
 */
export function limitsWriter(rootless: boolean, layout: CgroupLayout): "runtime" | "launcher" {
  return rootless && layout !== "unified" ? "launcher" : "runtime";
}

/** The v1 files (and values, in order) that carry each limit. */
export function v1LimitFiles(
  limits: ContainerResources,
): { controller: string; file: string; value: string }[] {
  const files: { controller: string; file: string; value: string }[] = [];
  if (limits.memoryBytes !== undefined) {
    files.push({
      controller: "memory",
      file: "memory.limit_in_bytes",
      value: String(limits.memoryBytes),
    });
  }
  if (limits.pids !== undefined) {
    files.push({ controller: "pids", file: "pids.max", value: String(limits.pids) });
  }
  if (limits.cpus !== undefined) {
    const { quota, period } = ociResources({ cpus: limits.cpus }).cpu!;
    files.push({ controller: "cpu", file: "cpu.cfs_period_us", value: String(period) });
    files.push({ controller: "cpu", file: "cpu.cfs_quota_us", value: String(quota) });
  }
  return files;
}

/**
 * Writes the limits into the container's v1 cgroup (created where missing) in each
 * controller's hierarchy, before the runtime moves the container into it. False when the
 * caller may not (no delegated subtree); the runtime then fails on the cgroup by itself.
 */
export async function writeV1Limits(
  cgroupsPath: string,
  limits: ContainerResources,
  root = "/sys/fs/cgroup",
): Promise<boolean> {
  const mounts = v1ControllerMounts(root);
  const mountOf = (controller: string) =>
    mounts.find((m) => m.controllers.includes(controller))?.target;
  for (const { controller, file, value } of v1LimitFiles(limits)) {
    const mount = mountOf(controller);
    if (mount === undefined) {
      throw new Error(`No cgroup v1 hierarchy has the ${controller} controller`);
    }
    const dir = join(mount, cgroupsPath);
    try {
      await Deno.mkdir(dir, { recursive: true });
      await Deno.writeTextFile(join(dir, file), value);
    } catch (error) {
      if (error instanceof Deno.errors.PermissionDenied) return false;
      throw error;
    }
  }
  return true;
}
