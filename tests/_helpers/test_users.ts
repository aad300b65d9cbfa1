/**
 * The users tests switch to, as root, where permission bits or an ordinary user's view must
 * apply: nobody, and the ordinary test user scripts/setup.sh --test creates.
 *
 * @module
 */

/** The uid and gid of nobody. */
export const NOBODY = 65534;

/** The ordinary user the rootless tests run as (created by scripts/setup.sh --test). */
export const TEST_USER = "openshell-test";

/** Numeric ids of `user`, or undefined when it does not exist. */
export async function userIds(user: string): Promise<{ uid: number; gid: number } | undefined> {
  const passwd = await Deno.readTextFile("/etc/passwd");
  const line = passwd.split("\n").find((l) => l.startsWith(`${user}:`));
  if (!line) return undefined;
  const [, , uid, gid] = line.split(":");
  return { uid: Number(uid), gid: Number(gid) };
}

/**
 * `argv` run through setpriv as nobody: uid and gid 65534, no supplementary groups.
 *
 * @example
 * ```ts
 * asNobody(["id", "-u"]); // ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "id", "-u"]
 * ```
 */
export function asNobody(argv: string[]): string[] {
  return ["setpriv", `--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups", ...argv];
}

/**
 * `argv` run through setpriv as `user`: its uid, its primary group and its supplementary
 * groups.
 *
 * @example
 * ```ts
 * asUser(TEST_USER, ["id", "-u"]);
 * ```
 */
export function asUser(user: string, argv: string[]): string[] {
  return ["setpriv", `--reuid=${user}`, `--regid=${user}`, "--init-groups", ...argv];
}
