/**
 * The kernel settings that allow an unprivileged user to create user namespaces, which
 * every rootless runtime needs.
 *
 * @module
 */

/** The settings as read; `undefined` where the kernel has no such file. */
export interface UserNamespaceFacts {
  /** `/proc/sys/user/max_user_namespaces`. */
  maxUserNamespaces: number | undefined;
  /** `/proc/sys/kernel/unprivileged_userns_clone` (Debian and Ubuntu kernels only). */
  unprivilegedClone: number | undefined;
}

/** The files the settings come from. */
const USERNS_SETTINGS = {
  maxUserNamespaces: "/proc/sys/user/max_user_namespaces",
  unprivilegedClone: "/proc/sys/kernel/unprivileged_userns_clone",
} as const;

/**
 * Whether an unprivileged user may create a user namespace under these settings.
 *
 * @example
 * ```ts
 * import { userNamespacesAllowed } from "./mod.ts";
 * userNamespacesAllowed({ maxUserNamespaces: 15000, unprivilegedClone: undefined }); // true
 * userNamespacesAllowed({ maxUserNamespaces: 15000, unprivilegedClone: 0 }); // false
 * ```
 */
export function userNamespacesAllowed(facts: UserNamespaceFacts): boolean {
  return facts.maxUserNamespaces !== 0 && facts.unprivilegedClone !== 0;
}

/** Reads the settings of the running kernel. */
export async function readUserNamespaceFacts(): Promise<UserNamespaceFacts> {
  const read = async (path: string) => {
    const text = await Deno.readTextFile(path).catch(() => undefined);
    return text === undefined || !/^\d+$/.test(text.trim()) ? undefined : Number(text.trim());
  };
  return {
    maxUserNamespaces: await read(USERNS_SETTINGS.maxUserNamespaces),
    unprivilegedClone: await read(USERNS_SETTINGS.unprivilegedClone),
  };
}
