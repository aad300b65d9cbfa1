import { dirname, join } from "../path/mod.ts";
import { fileError } from "../errors/mod.ts";
import { UserError } from "../errors/mod.ts";

/** Mode of the user root and of each directory below it but `gateways/`, as upstream sets. */
export const PRIVATE_DIR_MODE = 0o700;
/** Mode of a new `gateways/` directory (before the umask), as upstream creates it. */
const GATEWAYS_DIR_MODE = 0o755;

/**
 * Creates `<root>/<parts...>` and returns it, with upstream's modes: the root's parents like
 * `mkdir -p`, the root 0700 (tightened when it exists), a new `gateways/` 0755 (an existing
 * one left alone), every other part 0700 (tightened too). Below the root nothing is
 * followed: a symbolic link (say, to a system gateway's directory) or a file on the way is
 * refused, so writes under the user root stay inside it.
 *
 * @throws {UserError} naming the link or the file in the way, or why a directory could not
 * be created.
 * @example
 * ```ts
 * import { ensureUserDir } from "./_user_dir.ts";
 * const dir = await ensureUserDir("/home/ada/.config/openshell", "gateways", "corp");
 * ```
 */
export async function ensureUserDir(root: string, ...parts: string[]): Promise<string> {
  await makeDir(dirname(root), { recursive: true, mode: GATEWAYS_DIR_MODE });
  await makeDir(root, { mode: PRIVATE_DIR_MODE });
  await setPrivate(root);
  let dir = root;
  for (const [index, part] of parts.entries()) {
    dir = join(dir, part);
    const shared = index === 0 && part === "gateways";
    await makeDir(dir, { mode: shared ? GATEWAYS_DIR_MODE : PRIVATE_DIR_MODE });
    await refuseUnlessDirectory(dir);
    if (!shared) await setPrivate(dir);
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

async function makeDir(dir: string, options: Deno.MkdirOptions): Promise<void> {
  try {
    await Deno.mkdir(dir, options);
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) return;
    throw fileError("Cannot create directory", dir, error);
  }
}

async function setPrivate(dir: string): Promise<void> {
  await Deno.chmod(dir, PRIVATE_DIR_MODE).catch((error) => {
    // Not the owner: the write that follows reports what is wrong, if anything.
    if (error instanceof Deno.errors.PermissionDenied) return;
    throw fileError("Cannot set the mode of", dir, error);
  });
}
