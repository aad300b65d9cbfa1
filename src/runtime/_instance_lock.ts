import { join } from "../path/mod.ts";
import { ensureOwnedDir } from "../files/mod.ts";

/** An exclusive lock on one gateway name, held for the life of a launch. */
export interface InstanceLock extends AsyncDisposable {
  release(): Promise<void>;
}

/**
 * Takes the exclusive lock for one gateway name without waiting: `undefined` when another
 * process holds it. The kernel drops the lock when its holder dies, even by SIGKILL, and the
 * file is opened close-on-exec so no runtime or container process inherits it. Its holder
 * removes the file on release, so a stopped gateway leaves no lock behind; a lock taken on a
 * file removed meanwhile (by the holder before) is dropped and taken again on the new one.
 *
 * @throws {Deno.errors.NotFound} when `dir` is gone (removed once empty, see
 *   {@linkcode removeEmptyDir}): the caller makes it again and retries.
 */
// deno-lint-ignore require-await
export async function tryLockInstance(dir: string): Promise<InstanceLock | undefined> {
  const path = join(dir, "lock");
  for (;;) {
    // Synchronous calls: a launch waits for each in turn, and a thread-pool round trip for
    // each would cost more than the calls themselves.
    const file = Deno.openSync(path, { read: true, write: true, create: true, mode: 0o600 });
    if (!file.tryLockSync(true)) {
      file.close();
      return undefined;
    }
    const held = file.statSync();
    let there: Deno.FileInfo | undefined;
    try {
      there = Deno.lstatSync(path);
    } catch {
      // removed by its holder's release
    }
    if (there?.ino !== held.ino || there?.dev !== held.dev) {
      file.close(); // removed by the holder before this one got it: lock the new file
      continue;
    }
    let released = false;
    const release = async () => {
      if (released) return;
      released = true;
      // Removed while still held: whoever opens the name next gets a new file.
      await Deno.remove(path).catch(() => {});
      await file.unlock().catch(() => {});
      file.close();
    };
    return { release, [Symbol.asyncDispose]: release };
  }
}

/**
 * Removes `dir` when it is empty; leaves it, quietly, when it is not or is gone already.
 * A launch that opens its lock in it meanwhile either finds it gone (and makes it again) or
 * keeps it from being removed.
 */
async function removeEmptyDir(dir: string): Promise<void> {
  await Deno.remove(dir).catch(() => {});
}

/** How often the dir is made again when a release removed it as it was locked. */
const LOCK_ATTEMPTS = 10;

/**
 * Makes `dir` (owned by `uid`, mode 0700) and takes its lock without waiting (`undefined`
 * when another process holds it); the release removes the dir too once nothing else is left
 * in it. Another holder's release may remove the dir between the two steps, or within the
 * first: then both again.
 */
export async function lockNameDir(dir: string, uid: number): Promise<InstanceLock | undefined> {
  for (let attempt = 1;; attempt++) {
    try {
      await ensureOwnedDir(dir, uid, 0o700);
      const lock = await tryLockInstance(dir);
      if (lock === undefined) return undefined;
      const release = async () => {
        await lock.release();
        await removeEmptyDir(dir);
      };
      return { release, [Symbol.asyncDispose]: release };
    } catch (error) {
      if (!removedMeanwhile(error) || attempt === LOCK_ATTEMPTS) throw error;
    }
  }
}

/**
 * Whether `error` is what a dir removed in the midst of making it or locking in it gives:
 * not found, or (when it went between `mkdir`'s "exists" and its check of what exists) an
 * "exists" that is no directory; as is, or as the cause of the error that names the dir.
 */
function removedMeanwhile(error: unknown): boolean {
  const cause = error instanceof Error && error.cause !== undefined ? error.cause : error;
  return cause instanceof Deno.errors.NotFound || cause instanceof Deno.errors.AlreadyExists;
}
