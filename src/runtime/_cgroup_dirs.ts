import { join } from "../path/mod.ts";
import type { CgroupLayout } from "./_cgroup_path.ts";

/**
 * The directories a runtime may create for `cgroupsPath`: the path and each ancestor under
 * every v1 controller mount (named hierarchies such as `name=systemd` are left alone by
 * runtimes), or under the cgroup2 root on a unified layout. Deepest first.
 *
 * @example
 * ```ts
 * import { cgroupDirsFor } from "./_cgroup_dirs.ts";
 * cgroupDirsFor("/a/b", "unified", [], "/sys/fs/cgroup");
 * // ["/sys/fs/cgroup/a/b", "/sys/fs/cgroup/a"]
 * ```
 */
export function cgroupDirsFor(
  cgroupsPath: string,
  layout: CgroupLayout,
  controllerMounts: readonly string[],
  root = "/sys/fs/cgroup",
): string[] {
  const parts = cgroupsPath.split("/").filter((p) => p !== "");
  const bases = layout === "unified" ? [root] : controllerMounts;
  const dirs: string[] = [];
  for (let depth = parts.length; depth > 0; depth--) {
    const relative = parts.slice(0, depth).join("/");
    for (const base of bases) dirs.push(join(base, relative));
  }
  return dirs;
}

/** Which of `dirs` do not exist yet (so a launch knows which ones it may remove afterwards). */
export function missingDirs(dirs: readonly string[]): string[] {
  const missing: string[] = [];
  for (const dir of dirs) {
    try {
      Deno.statSync(dir);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) missing.push(dir);
      else throw error;
    }
  }
  return missing;
}

/**
 * SIGKILLs every process in the cgroup directories a launch created (only that launch's
 * container processes can be there), then waits up to `waitMs` for them to be gone, so
 * that the directories can be removed. Missing directories are fine.
 */
export async function killCgroupMembers(dirs: readonly string[], waitMs = 2000): Promise<void> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const members = dirs.flatMap(readMembers);
    if (members.length === 0 || Date.now() > deadline) return;
    for (const pid of members) {
      try {
        Deno.kill(pid, "SIGKILL");
      } catch {
        // exited meanwhile
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function readMembers(dir: string): number[] {
  try {
    return Deno.readTextFileSync(join(dir, "cgroup.procs")).split("\n")
      .filter((line) => /^\d+$/.test(line)).map(Number).filter((pid) => pid > 1);
  } catch {
    return [];
  }
}

/**
 * Removes the cgroup directories a launch created, deepest first. A cgroup still in use or
 * already gone is left as it is: rmdir of a cgroup only ever succeeds when it is empty.
 */
export async function removeCgroupDirs(dirs: readonly string[]): Promise<void> {
  const deepestFirst = [...dirs].sort((a, b) => b.split("/").length - a.split("/").length);
  for (const dir of deepestFirst) await Deno.remove(dir).catch(() => {});
}
