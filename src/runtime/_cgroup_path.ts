import { join } from "../path/mod.ts";

/**
 * How cgroups are mounted at `/sys/fs/cgroup` as the runtime sees them: `unified` (cgroup2
 * only), `hybrid` (v1 controllers plus cgroup2 at `unified/`) or `legacy` (v1 only). The
 * runtime picks its cgroup manager from this, and so does the cgroup path.
 */
export type CgroupLayout = "unified" | "hybrid" | "legacy";

/**
 * The launcher's own cgroup in the hierarchy its runtime will use, from a
 * `/proc/<pid>/cgroup` table: the `0::` path on a unified layout, the memory controller's path
 * on v1/hybrid (the controller whose limits matter most).
 *
 * @throws {SyntaxError} when the table lacks the needed line.
 * @example
 * ```ts
 * import { callerCgroup } from "./_cgroup_path.ts";
 * callerCgroup("4:memory:/user/a\n0::/\n", "hybrid"); // "/user/a"
 * callerCgroup("0::/user.slice/x.scope\n", "unified"); // "/user.slice/x.scope"
 * ```
 */
export function callerCgroup(table: string, layout: CgroupLayout): string {
  const lines = table.split("\n").filter((line) => line !== "").map((line) => {
    const first = line.indexOf(":");
    const second = line.indexOf(":", first + 1);
    if (first < 0 || second < 0) throw new SyntaxError(`Cannot parse cgroup line "${line}"`);
    return {
      id: line.slice(0, first),
      controllers: line.slice(first + 1, second).split(","),
      path: line.slice(second + 1),
    };
  });
  const line = layout === "unified"
    ? lines.find((l) => l.id === "0" && l.controllers.join("") === "")
    : lines.find((l) => l.controllers.includes("memory"));
  if (line === undefined || !line.path.startsWith("/")) {
    throw new SyntaxError(
      layout === "unified"
        ? `No cgroup2 line ("0::/...") in the process's cgroup table`
        : `No memory controller line in the process's cgroup table`,
    );
  }
  // Inside a cgroup namespace whose root is below ours the kernel shows "/..": not usable.
  if (line.path.split("/").includes("..")) {
    throw new SyntaxError(`Cgroup path "${line.path}" lies outside this cgroup namespace`);
  }
  return line.path;
}

/**
 * The container's cgroup path: the launcher's own cgroup plus a per-launch leaf. Never empty,
 * never `/`, never the launcher's own cgroup (the runtime would kill the launcher with it).
 *
 * @throws {RangeError} when `leaf` is not a single plain path component.
 * @example
 * ```ts
 * import { containerCgroupsPath } from "./_cgroup_path.ts";
 * containerCgroupsPath("/user/a", "openshell-local-1a2b"); // "/user/a/openshell-local-1a2b"
 * containerCgroupsPath("/", "openshell-local-1a2b"); // "/openshell-local-1a2b"
 * ```
 */
export function containerCgroupsPath(callerPath: string, leaf: string): string {
  if (!/^[A-Za-z0-9_+.-]+$/.test(leaf) || leaf === "." || leaf === "..") {
    throw new RangeError(`Invalid cgroup leaf "${leaf}"`);
  }
  return join("/", callerPath, leaf);
}

/** Detects the cgroup layout mounted at `root` (default `/sys/fs/cgroup`). */
export function detectCgroupLayout(root = "/sys/fs/cgroup"): CgroupLayout {
  if (exists(`${root}/cgroup.controllers`)) return "unified";
  if (exists(`${root}/unified/cgroup.controllers`)) return "hybrid";
  return "legacy";
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** What decides the container's cgroup path. */
export interface CgroupDecisionInput {
  runtime: "youki" | "runc" | "crun";
  rootless: boolean;
  layout: CgroupLayout;
  /** The launcher's own cgroup ({@linkcode callerCgroup}). */
  callerPath: string;
  /** The per-launch leaf (the container ID). */
  leaf: string;
}

/**
 * The `cgroupsPath` to write, or `undefined` to leave it out. Normally the caller's cgroup
 * plus a per-launch leaf. Rootless runc on a v1/hybrid host is the exception: runc tolerates
 * a cgroup it cannot create only when no path was given (it then names one after the
 * container ID, never the caller's own), and fails on an explicit one without delegation.
 *
 * @example
 * ```ts
 * import { decideCgroupsPath } from "./_cgroup_path.ts";
 * decideCgroupsPath({ runtime: "youki", rootless: true, layout: "hybrid", callerPath: "/a", leaf: "x" });
 * // "/a/x"
 * ```
 */
export function decideCgroupsPath(input: CgroupDecisionInput): string | undefined {
  if (input.runtime === "runc" && input.rootless && input.layout !== "unified") return undefined;
  return containerCgroupsPath(input.callerPath, input.leaf);
}
