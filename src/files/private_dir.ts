import { osReason } from "../errors/mod.ts";
import { UserError } from "../errors/mod.ts";

/**
 * Creates `path` (and missing parents) when absent and makes sure it belongs to `uid` with
 * exactly `mode`; a directory owned by someone else is refused rather than used.
 *
 * Synchronous calls: a launch makes a few levels of these in a row, and a thread-pool round
 * trip for each would cost more than the calls themselves.
 *
 * @throws {UserError} when it cannot be created or belongs to another user.
 */
// deno-lint-ignore require-await
export async function ensureOwnedDir(
  path: string,
  uid: number,
  mode = 0o700,
  hint = "Remove it or set XDG_RUNTIME_DIR to a directory you own",
): Promise<void> {
  try {
    Deno.mkdirSync(path, { recursive: true, mode });
  } catch (error) {
    throw new UserError(`Cannot create directory "${path}": ${osReason(error)}`, {
      hint: "Set XDG_RUNTIME_DIR to a directory you own",
      cause: error,
    });
  }
  const info = Deno.lstatSync(path);
  if (!info.isDirectory || info.uid !== uid) {
    throw new UserError(`Directory "${path}" is not a directory owned by uid ${uid}`, { hint });
  }
  if (((info.mode ?? 0) & 0o7777) !== mode) Deno.chmodSync(path, mode);
}
