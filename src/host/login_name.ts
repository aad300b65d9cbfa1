/**
 * The login name of a uid, from the local password database (`/etc/passwd`), for commands a
 * person types for that user (`systemctl --user -M NAME@`).
 *
 * @module
 */

/**
 * The login name of `uid` in `/etc/passwd`, or `undefined` when it has none there (or the
 * file cannot be read).
 *
 * @example
 * ```ts
 * await loginName(0); // "root"
 * ```
 */
export async function loginName(uid: number, passwd = "/etc/passwd"): Promise<string | undefined> {
  const text = await Deno.readTextFile(passwd).catch(() => "");
  for (const line of text.split("\n")) {
    const [name, , id] = line.split(":");
    if (name && id === String(uid)) return name;
  }
  return undefined;
}
