/**
 * Whether a uid can reach a path: every directory above it searchable, the path itself
 * readable (and writable or executable where needed), by the plain owner/group/other bits.
 * The container's processes hold no capabilities over host files, so those bits are all
 * that count. A pure decision over stat facts, and a thin walker that gathers them.
 *
 * @module
 */
import { dirname } from "../path/mod.ts";

/** The stat facts of one path component. */
export interface PathStep {
  path: string;
  isDirectory: boolean;
  /** Permission bits (`mode & 0o7777`). */
  mode: number;
  uid: number;
  gid: number;
}

/** Who must reach a path: a uid, its group and any supplementary groups. */
export interface Reacher {
  uid: number;
  gid: number;
  groups?: readonly number[];
}

/** What the reacher does with the final path (`search`: only passes through a directory). */
export type PathUse = "search" | "read" | "write" | "execute";

/** Why a path cannot be reached: the step that stops it and what it lacks. */
export interface ReachBlock {
  step: PathStep;
  /** `search` for a directory above, else the use of the path itself. */
  lacks: PathUse;
}

const READ = 4;
const WRITE = 2;
const EXEC = 1;

/** The rwx bits (0-7) of `step` that apply to `who`. */
function bitsFor(step: PathStep, who: Reacher): number {
  if (who.uid === step.uid) return (step.mode >> 6) & 7;
  if (who.gid === step.gid || who.groups?.includes(step.gid)) return (step.mode >> 3) & 7;
  return step.mode & 7;
}

/**
 * The first step of `steps` (from `/` down to the path) that `who` cannot get through, or
 * `undefined` when it reaches the path for `use`. Root (uid 0) passes everywhere.
 *
 * @example
 * ```ts
 * import { type PathStep, reachBlock } from "./mod.ts";
 * const steps: PathStep[] = [
 *   { path: "/", isDirectory: true, mode: 0o755, uid: 0, gid: 0 },
 *   { path: "/root", isDirectory: true, mode: 0o700, uid: 0, gid: 0 },
 *   { path: "/root/rootfs", isDirectory: true, mode: 0o755, uid: 0, gid: 0 },
 * ];
 * reachBlock(steps, { uid: 65532, gid: 65532 }, "read");
 * // { step: { path: "/root", isDirectory: true, mode: 0o700, uid: 0, gid: 0 }, lacks: "search" }
 * ```
 */
export function reachBlock(
  steps: readonly PathStep[],
  who: Reacher,
  use: PathUse,
): ReachBlock | undefined {
  if (who.uid === 0) return undefined;
  const last = steps.length - 1;
  for (const [index, step] of steps.entries()) {
    const bits = bitsFor(step, who);
    if (index < last) {
      if ((bits & EXEC) === 0) return { step, lacks: "search" };
      continue;
    }
    const need = use === "search"
      ? (step.isDirectory ? EXEC : 0)
      : READ | (use === "write" ? WRITE : 0) | (use === "execute" || step.isDirectory ? EXEC : 0);
    if ((bits & need) !== need) return { step, lacks: use };
  }
  return undefined;
}

/**
 * The stat facts of `path` and every directory above it, from `/` down, after resolving
 * symlinks (as a runtime resolves a mount source).
 *
 * Synchronous file system calls, as in {@linkcode canReach}: a thread-pool round trip for
 * each would cost more than the calls themselves.
 *
 * @throws {Deno.errors.NotFound} when the path does not exist.
 */
// deno-lint-ignore require-await
export async function pathSteps(path: string): Promise<PathStep[]> {
  const real = Deno.realPathSync(path);
  const chain: string[] = [];
  for (let at = real;; at = dirname(at)) {
    chain.unshift(at);
    if (dirname(at) === at) break;
  }
  return chain.map((step) => stepOf(step, Deno.statSync(step)));
}

function stepOf(path: string, info: Deno.FileInfo): PathStep {
  return {
    path,
    isDirectory: info.isDirectory,
    mode: (info.mode ?? 0) & 0o7777,
    uid: info.uid ?? 0,
    gid: info.gid ?? 0,
  };
}

/**
 * Whether `who` reaches `path` for `use` (false as well when it does not exist); for a
 * directory, every file and directory below it too (a tree of sources must be readable
 * throughout, not only at its top). The tree is walked with synchronous calls: a source
 * tree is hundreds of entries, and a thread-pool round trip for each would cost more than
 * the calls themselves.
 */
export async function canReach(path: string, who: Reacher, use: PathUse): Promise<boolean> {
  const steps = await pathSteps(path).catch(() => undefined);
  if (steps === undefined || reachBlock(steps, who, use) !== undefined) return false;
  return !steps.at(-1)!.isDirectory || treeReadable(steps.at(-1)!.path, who);
}

/** Whether every entry below `dir` is readable (directories also searchable) by `who`. */
function treeReadable(dir: string, who: Reacher): boolean {
  for (const entry of Deno.readDirSync(dir)) {
    const path = `${dir}/${entry.name}`;
    let info: Deno.FileInfo;
    try {
      info = Deno.statSync(path);
    } catch {
      return false;
    }
    if (reachBlock([stepOf(path, info)], who, "read") !== undefined) return false;
    if (info.isDirectory && !treeReadable(path, who)) return false;
  }
  return true;
}
