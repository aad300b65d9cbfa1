/**
 * Whether something exists at `path` (not following a final symlink): false when it cannot
 * be stat'ed for any reason.
 *
 * @example
 * ```ts
 * import { pathExists } from "./mod.ts";
 * await pathExists("/etc/hostname"); // true
 * ```
 */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * {@linkcode pathExists} in one synchronous call, for a step that waits on it anyway: far
 * cheaper than a round trip through Deno's thread pool.
 *
 * @example
 * ```ts
 * import { pathExistsSync } from "./mod.ts";
 * pathExistsSync("/etc/hostname"); // true
 * ```
 */
export function pathExistsSync(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
