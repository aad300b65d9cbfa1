import { type PathStep, type PathUse, reachBlock, type Reacher } from "../runtime/mod.ts";

/**
 * The first step of `steps` (from `/` down) that `who` cannot pass for `use`, by serve's own
 * {@linkcode reachBlock}, told as `doctor` tells it; `undefined` when it reaches the path.
 *
 * @example
 * ```ts
 * import { reachBlocker } from "./_reach_blocker.ts";
 * reachBlocker(
 *   [{ path: "/root", uid: 0, gid: 0, mode: 0o700, isDirectory: true }],
 *   { uid: 65532, gid: 65532 },
 *   "search",
 * ); // { path: "/root", why: "mode 0700, owner 0:0: no search permission for uid 65532" }
 * ```
 */
export function reachBlocker(
  steps: readonly PathStep[],
  who: Reacher,
  use: PathUse,
): { path: string; why: string } | undefined {
  const block = reachBlock(steps, who, use);
  if (block === undefined) return undefined;
  const { step, lacks } = block;
  const what = lacks === "search"
    ? "search"
    : lacks === "write"
    ? "read and write"
    : step.isDirectory
    ? "read and search"
    : lacks === "execute"
    ? "read and execute"
    : "read";
  const mode = (step.mode & 0o7777).toString(8).padStart(4, "0");
  return {
    path: step.path,
    why: `mode ${mode}, owner ${step.uid}:${step.gid}: no ${what} permission for uid ${who.uid}`,
  };
}
