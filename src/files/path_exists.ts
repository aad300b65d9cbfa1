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
