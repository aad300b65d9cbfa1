/**
 * Whether a user can reach a path: search permission on every directory above it, and
 * read (plus execute, for a program) on the path itself. In root mode the container runs
 * as an unprivileged host uid that must reach every mount source this way.
 *
 * @module
 */
import { dirname, resolve } from "node:path";
import type { DirOwnership } from "./cgroup_facts.ts";

/** One step of a path: the path and its ownership and mode. */
export interface PathStep extends DirOwnership {
  path: string;
  isDirectory: boolean;
}

/** What a user needs on the final path of a chain. */
export type ReachNeed = "traverse" | "read" | "execute";

/**
 * The first step of `chain` (outermost first) that `who` cannot pass, with why; `undefined`
 * when it can reach the last step as `need` says.
 *
 * @example
 * ```ts
 * firstBlocker(
 *   [{ path: "/root", uid: 0, gid: 0, mode: 0o700, isDirectory: true }],
 *   { uid: 65532, gid: 65532 },
 *   "traverse",
 * ); // { path: "/root", why: "mode 0700, owner 0:0: no search permission for uid 65532" }
 * ```
 */
export function firstBlocker(
  chain: readonly PathStep[],
  who: { uid: number; gid: number },
  need: ReachNeed,
): { path: string; why: string } | undefined {
  for (const [index, step] of chain.entries()) {
    const last = index === chain.length - 1;
    const bits = who.uid === 0
      ? 7
      : step.uid === who.uid
      ? (step.mode >> 6) & 7
      : step.gid === who.gid
      ? (step.mode >> 3) & 7
      : step.mode & 7;
    const required = !last
      ? 1
      : need === "traverse"
      ? step.isDirectory ? 1 : 0
      : need === "read"
      ? step.isDirectory ? 5 : 4
      : 5;
    if ((bits & required) !== required) {
      const what = required === 1
        ? "search"
        : required === 4
        ? "read"
        : step.isDirectory
        ? "read and search"
        : "read and execute";
      const mode = (step.mode & 0o7777).toString(8).padStart(4, "0");
      return {
        path: step.path,
        why:
          `mode ${mode}, owner ${step.uid}:${step.gid}: no ${what} permission for uid ${who.uid}`,
      };
    }
  }
  return undefined;
}

/**
 * The chain of `path` from `/` down to it, or down to its deepest existing ancestor when
 * it does not exist yet (what will be created below is made reachable by its creator).
 */
export async function pathChain(path: string): Promise<PathStep[]> {
  const parts: string[] = [];
  for (let p = resolve(path);; p = dirname(p)) {
    parts.unshift(p);
    if (p === "/") break;
  }
  const chain: PathStep[] = [];
  for (const part of parts) {
    const info = await Deno.stat(part).catch(() => undefined);
    if (info === undefined) break;
    chain.push({
      path: part,
      uid: info.uid ?? 0,
      gid: info.gid ?? 0,
      mode: info.mode ?? 0,
      isDirectory: info.isDirectory,
    });
  }
  return chain;
}
