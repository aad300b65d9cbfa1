/**
 * The check before a runtime starts: every host path the container mounts (its rootfs, the
 * state dir, the secrets, the program and its sources) must be reachable by the uid the
 * container runs as, or the launch fails naming the directory in the way, the uid and the
 * fix, instead of the runtime's bare "failed to prepare rootfs".
 *
 * @module
 */
import type { OciConfig } from "../container/mod.ts";
import { CONTAINER_PATHS } from "../contract/mod.ts";
import { UserError } from "../errors/mod.ts";
import {
  type PathStep,
  pathSteps,
  type PathUse,
  type ReachBlock,
  reachBlock,
  type Reacher,
} from "./mount_reach.ts";

/** One host path the container needs, and what to do when it is out of reach. */
export interface MountSource {
  /** What it is, for the message: `the gateway rootfs`. */
  label: string;
  path: string;
  use: PathUse;
  /** The setting that moves it, for the hint. */
  moveWith: string;
}

const BY_DESTINATION: Record<string, Omit<MountSource, "path">> = {
  [CONTAINER_PATHS.state]: {
    label: "the gateway's state dir",
    use: "write",
    moveWith: "choose another with --state-dir or XDG_STATE_HOME",
  },
  [CONTAINER_PATHS.secrets]: {
    label: "the launch's secrets dir",
    use: "read",
    moveWith: "set XDG_RUNTIME_DIR elsewhere (root's runtime dir is always /run/openshell)",
  },
  [CONTAINER_PATHS.binary]: {
    label: "the program",
    use: "execute",
    moveWith: "set XDG_CACHE_HOME elsewhere (or unset it) so the program's copy is reachable",
  },
  [CONTAINER_PATHS.source]: {
    label: "the program's sources",
    use: "read",
    moveWith: "set XDG_CACHE_HOME elsewhere (or unset it) so the sources' copy is reachable",
  },
};

/** How each missing permission reads in the error, and the chmod that grants it. */
const LACKS: Record<ReachBlock["lacks"], { what: string; chmod: string }> = {
  search: { what: "searchable", chmod: "o+x" },
  read: { what: "readable", chmod: "o+rx" },
  write: { what: "writable", chmod: "o+rwx" },
  execute: { what: "executable", chmod: "o+rx" },
};

/**
 * The host paths `config` makes the container reach: its rootfs and every bind source.
 *
 * @example
 * ```ts
 * import type { OciConfig } from "../container/mod.ts";
 * import { containerMountSources } from "./mod.ts";
 * const config: OciConfig = JSON.parse(await Deno.readTextFile("bundle/config.json"));
 * containerMountSources(config).map((s) => s.label);
 * // ["the gateway rootfs", "the gateway's state dir", "the launch's secrets dir", "the program"]
 * ```
 */
export function containerMountSources(config: OciConfig): MountSource[] {
  const sources: MountSource[] = [{
    label: "the gateway rootfs",
    path: config.root.path,
    use: "read",
    moveWith: "set XDG_CACHE_HOME elsewhere (or unset it: root's cache is /var/cache/openshell)",
  }];
  for (const mount of config.mounts) {
    if (mount.type !== "bind") continue;
    const known = BY_DESTINATION[mount.destination];
    sources.push({
      ...(known ?? { label: `the mount at ${mount.destination}`, use: "read", moveWith: "" }),
      path: mount.source,
    });
  }
  return sources;
}

/**
 * The error for the first source `who` cannot reach, from each source's stat facts
 * (`undefined` facts: the source is missing); `undefined` when all are reachable.
 *
 * @example
 * ```ts
 * import { type MountSource, type PathStep, unreachableMount } from "./mod.ts";
 * const source: MountSource = {
 *   label: "the gateway rootfs",
 *   path: "/root/c/rootfs",
 *   use: "read",
 *   moveWith: "",
 * };
 * const steps: PathStep[] = [
 *   { path: "/", isDirectory: true, mode: 0o755, uid: 0, gid: 0 },
 *   { path: "/root", isDirectory: true, mode: 0o700, uid: 0, gid: 0 },
 *   { path: "/root/c", isDirectory: true, mode: 0o755, uid: 0, gid: 0 },
 *   { path: "/root/c/rootfs", isDirectory: true, mode: 0o555, uid: 0, gid: 0 },
 * ];
 * unreachableMount([[source, steps]], { uid: 65532, gid: 65532 });
 * // UserError: uid 65532 (the container's root) cannot reach the gateway rootfs "/root/c/rootfs": "/root" (mode 0700, owner 0:0) is not searchable by it
 * ```
 */
export function unreachableMount(
  facts: readonly (readonly [MountSource, readonly PathStep[] | undefined])[],
  who: Reacher,
): UserError | undefined {
  for (const [source, steps] of facts) {
    if (steps === undefined) {
      return new UserError(`${capitalise(source.label)} "${source.path}" does not exist`, {
        hint: "It was removed while the launch prepared; try again",
      });
    }
    const block = reachBlock(steps, who, source.use);
    if (block === undefined) continue;
    const { step } = block;
    const octal = `0${step.mode.toString(8).padStart(3, "0")}`;
    const { what, chmod } = LACKS[block.lacks];
    return new UserError(
      `uid ${who.uid} (the container's root) cannot reach ${source.label} "${source.path}": "${step.path}" (mode ${octal}, owner ${step.uid}:${step.gid}) is not ${what} by it`,
      {
        hint: `Make it reachable (chmod ${chmod} "${step.path}")${
          source.moveWith ? `, or ${source.moveWith}` : ""
        }`,
      },
    );
  }
  return undefined;
}

/**
 * Checks every mount source of `config` for `who` (the host uid of the container's root).
 *
 * @throws {UserError} naming the first directory in the way, the uid and the fix.
 */
export async function preflightMounts(config: OciConfig, who: Reacher): Promise<void> {
  const sources = containerMountSources(config);
  const facts = await Promise.all(
    sources.map(async (source) =>
      [source, await pathSteps(source.path).catch(() => undefined)] as const
    ),
  );
  const problem = unreachableMount(facts, who);
  if (problem) throw problem;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
