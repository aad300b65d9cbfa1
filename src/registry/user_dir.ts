import { join } from "node:path";
import { fileError } from "../file_error.ts";
import { UserError } from "../user_error.ts";

/** Mode of every directory created under the user root. */
export const PRIVATE_DIR_MODE = 0o700;

/**
 * Creates `<root>/<parts...>` and returns it: the root with its parents, then each part
 * 0700. Below the root nothing is followed: a symbolic link (say, to a system gateway's
 * directory) or a file on the way is refused, so writes under the user root stay inside it.
 *
 * @throws {UserError} naming the link or the file in the way, or why a directory could not
 * be created.
 * @example
 * ```ts
 * const dir = await ensureUserDir(roots.user, "gateways", "corp");
 * ```
 */
export async function ensureUserDir(root: string, ...parts: string[]): Promise<string> {
  await makeDir(root, true);
  let dir = root;
  for (const part of parts) {
    dir = join(dir, part);
    await makeDir(dir, false);
    await refuseUnlessDirectory(dir);
  }
  return dir;
}

/**
 * Refuses a path under the user root that is a symbolic link or not a directory; a missing
 * one is fine.
 *
 * @throws {UserError} for a link or a file where a directory belongs.
 */
export async function refuseUnlessDirectory(dir: string): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(dir);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw fileError("Cannot stat", dir, error);
  }
  if (info.isSymlink) {
    const target = await Deno.readLink(dir).catch(() => "?");
    throw new UserError(
      `Refusing to write through the symbolic link "${dir}" (to "${target}")`,
      {
        hint: "openshell writes and removes only real directories under the user registry: " +
          "replace the link with a directory, or remove it",
      },
    );
  }
  if (!info.isDirectory) {
    throw new UserError(`Cannot use "${dir}": not a directory`, {
      hint: "A file is where a directory is expected: move it aside",
    });
  }
}

async function makeDir(dir: string, recursive: boolean): Promise<void> {
  try {
    await Deno.mkdir(dir, { recursive, mode: PRIVATE_DIR_MODE });
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) return;
    throw fileError("Cannot create directory", dir, error);
  }
}
