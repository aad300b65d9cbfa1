import { osReason } from "../file_error.ts";
import { UserError } from "../user_error.ts";

/**
 * Creates `path` (and missing parents) when absent and makes sure it belongs to `uid` with
 * exactly `mode`; a directory owned by someone else is refused rather than used.
 *
 * @throws {UserError} when it cannot be created or belongs to another user.
 */
export async function ensureOwnedDir(path: string, uid: number, mode = 0o700): Promise<void> {
  try {
    await Deno.mkdir(path, { recursive: true, mode });
  } catch (error) {
    throw new UserError(`Cannot create directory "${path}": ${osReason(error)}`, {
      hint: "Set XDG_RUNTIME_DIR to a directory you own",
      cause: error,
    });
  }
  const info = await Deno.lstat(path);
  if (!info.isDirectory || info.uid !== uid) {
    throw new UserError(`Directory "${path}" is not a directory owned by uid ${uid}`, {
      hint: "Remove it or set XDG_RUNTIME_DIR to a directory you own",
    });
  }
  if (((info.mode ?? 0) & 0o7777) !== mode) await Deno.chmod(path, mode);
}

/**
 * Removes `path` recursively even when it holds directories without write or search
 * permission (read-only secret dirs, read-only image dirs): those are opened up first.
 * A missing path is fine.
 */
export async function removeTree(path: string): Promise<void> {
  try {
    await Deno.remove(path, { recursive: true });
    return;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    if (!(error instanceof Deno.errors.PermissionDenied)) throw error;
  }
  await openUp(path);
  await Deno.remove(path, { recursive: true });
}

async function openUp(path: string): Promise<void> {
  const info = await Deno.lstat(path);
  if (!info.isDirectory) return;
  await Deno.chmod(path, 0o700);
  for await (const entry of Deno.readDir(path)) {
    if (entry.isDirectory) await openUp(`${path}/${entry.name}`);
  }
}
