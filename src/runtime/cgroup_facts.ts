/**
 * What the caller may do with cgroups on this host, read from the mount table and the
 * caller's own cgroup: the layout, and for each controller whether the caller may create
 * cgroups below its own (a delegated subtree). The decisions are pure functions over the
 * text of `/proc/self/mounts`, `/proc/self/cgroup` and directory stats; `readCgroupFacts`
 * gathers them.
 *
 * @module
 */
import { join } from "../path/mod.ts";
import { callerCgroup, type CgroupLayout } from "./_cgroup_path.ts";

/** One mounted cgroup hierarchy. */
export interface CgroupMount {
  /** `cgroup2`, or the v1 controllers it carries (`cpu`, `memory`, ...). */
  controllers: string[];
  target: string;
  version: 1 | 2;
  /** Mounted read-only: nobody, root included, can create cgroups in it. */
  readOnly: boolean;
}

/**
 * The cgroup hierarchies under `root` in a `/proc/<pid>/mounts` table; named v1
 * hierarchies (`name=systemd`) are left out, as runtimes leave them alone.
 *
 * @example
 * ```ts
 * import { cgroupMounts } from "./cgroup_facts.ts";
 * cgroupMounts("cgroup /sys/fs/cgroup/memory cgroup rw,memory 0 0\n");
 * // [{ controllers: ["memory"], target: "/sys/fs/cgroup/memory", version: 1, readOnly: false }]
 * ```
 */
export function cgroupMounts(table: string, root = "/sys/fs/cgroup"): CgroupMount[] {
  const result: CgroupMount[] = [];
  for (const line of table.split("\n")) {
    const [, target, type, options] = line.split(" ");
    if (target === undefined || (target !== root && !target.startsWith(`${root}/`))) continue;
    const flags = (options ?? "").split(",");
    const readOnly = flags.includes("ro");
    if (type === "cgroup2") result.push({ controllers: ["cgroup2"], target, version: 2, readOnly });
    if (type !== "cgroup") continue;
    if (flags.some((o) => o.startsWith("name="))) continue;
    const known = ["rw", "ro", "relatime", "noatime", "nosuid", "nodev", "noexec"];
    const controllers = flags.filter((f) => !known.includes(f));
    result.push({ controllers, target, version: 1, readOnly });
  }
  return result;
}

/** The v1 controller hierarchies under `root` in this process's mount table. */
export function v1ControllerMounts(root = "/sys/fs/cgroup"): CgroupMount[] {
  const table = Deno.readTextFileSync("/proc/self/mounts");
  return cgroupMounts(table, root).filter((m) => m.version === 1);
}

/**
 * The layout the mounts make, as runtimes decide it: cgroup2 at `root` is `unified`, v1
 * controllers with cgroup2 at `root/unified` are `hybrid`, v1 controllers alone `legacy`.
 *
 * @example
 * ```ts
 * import { layoutFromMounts } from "./cgroup_facts.ts";
 * layoutFromMounts([
 *   { controllers: ["cgroup2"], target: "/sys/fs/cgroup", version: 2, readOnly: false },
 * ]); // "unified"
 * ```
 */
export function layoutFromMounts(
  mounts: readonly CgroupMount[],
  root = "/sys/fs/cgroup",
): CgroupLayout {
  if (mounts.some((m) => m.version === 2 && m.target === root)) return "unified";
  if (mounts.some((m) => m.version === 2 && m.target === `${root}/unified`)) return "hybrid";
  return "legacy";
}

/** Whether the caller may create cgroups in one controller below its own cgroup. */
export interface ControllerAccess {
  /** A v1 controller name, or `cgroup2` on a unified layout. */
  controller: string;
  /** The caller's cgroup directory in that hierarchy. */
  dir: string;
  writable: boolean;
}

/** The cgroup facts the runtime choice and `doctor` need. */
export interface CgroupFacts {
  layout: CgroupLayout;
  /** Per hierarchy the runtime would use: every v1 controller, or cgroup2 when unified. */
  access: ControllerAccess[];
}

/** The owner and mode of a directory, as `Deno.stat` gives them. */
export interface DirOwnership {
  uid: number;
  gid: number;
  mode: number;
}

/**
 * Whether `uid`/`gids` may create entries in a directory of this ownership (write and
 * search permission by the mode bits; root always may).
 *
 * @example
 * ```ts
 * import { mayCreateIn } from "./cgroup_facts.ts";
 * mayCreateIn({ uid: 1000, gid: 1000, mode: 0o755 }, 1000, [1000]); // true
 * mayCreateIn({ uid: 0, gid: 0, mode: 0o755 }, 1000, [1000]); // false
 * ```
 */
export function mayCreateIn(dir: DirOwnership, uid: number, gids: readonly number[]): boolean {
  if (uid === 0) return true;
  const bits = dir.uid === uid
    ? (dir.mode >> 6) & 7
    : gids.includes(dir.gid)
    ? (dir.mode >> 3) & 7
    : dir.mode & 7;
  return (bits & 3) === 3;
}

/**
 * Whether the caller owns a delegated subtree for a runtime: on a v1/hybrid layout it may
 * create cgroups in every v1 controller (youki's v1 manager needs all of them); a unified
 * layout needs none (rootless youki tolerates what it cannot create there).
 *
 * @example
 * ```ts
 * import { cgroupDelegated } from "./cgroup_facts.ts";
 * cgroupDelegated({ layout: "unified", access: [] }); // true
 * ```
 */
export function cgroupDelegated(facts: CgroupFacts): boolean {
  if (facts.layout === "unified") return true;
  return facts.access.length > 0 && facts.access.every((a) => a.writable);
}

/**
 * Reads the layout and, for the calling process, which hierarchies it may create cgroups in.
 * A hierarchy mounted read-only (as a container manager gives a container the host's v1
 * controllers) or whose directory cannot be stat'ed counts as not writable, for root too.
 */
export function readCgroupFacts(uid: number, gids: readonly number[]): CgroupFacts {
  const mounts = cgroupMounts(Deno.readTextFileSync("/proc/self/mounts"));
  const layout = layoutFromMounts(mounts);
  const table = Deno.readTextFileSync("/proc/self/cgroup");
  const access: ControllerAccess[] = [];
  const hierarchies = layout === "unified"
    ? mounts.filter((m) => m.version === 2)
    : mounts.filter((m) => m.version === 1);
  for (const mount of hierarchies) {
    const path = ownPath(table, mount);
    if (path === undefined) continue;
    const dir = join(mount.target, path);
    let info: Deno.FileInfo | undefined;
    try {
      info = Deno.statSync(dir);
    } catch {
      // not there or not ours to look at: not writable
    }
    const writable = info !== undefined && !mount.readOnly &&
      mayCreateIn({ uid: info.uid ?? -1, gid: info.gid ?? -1, mode: info.mode ?? 0 }, uid, gids);
    for (const controller of mount.controllers) access.push({ controller, dir, writable });
  }
  return { layout, access };
}

/** The caller's path in one hierarchy, from its `/proc/self/cgroup` table. */
function ownPath(table: string, mount: CgroupMount): string | undefined {
  if (mount.version === 2) {
    try {
      return callerCgroup(table, "unified");
    } catch {
      return undefined;
    }
  }
  for (const line of table.split("\n")) {
    const [, controllers, ...path] = line.split(":");
    if (controllers?.split(",").some((c) => mount.controllers.includes(c))) return path.join(":");
  }
  return undefined;
}

/**
 * The groups of the calling process (primary first), from `/proc/self/status`; the
 * supplementary ones stay with a rootless container's root.
 */
export function callerGroups(): number[] {
  let status = "";
  try {
    status = Deno.readTextFileSync("/proc/self/status");
  } catch {
    // no /proc: the primary group alone
  }
  const groups = /^Groups:\s*(.*)$/m.exec(status)?.[1]?.trim().split(/\s+/) ?? [];
  return [Deno.gid() ?? 0, ...groups.filter((g) => g !== "").map(Number)];
}
