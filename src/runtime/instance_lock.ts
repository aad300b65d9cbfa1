import { join } from "../path/mod.ts";

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
 */
export async function tryLockInstance(dir: string): Promise<InstanceLock | undefined> {
  const path = join(dir, "lock");
  for (;;) {
    const file = await Deno.open(path, { read: true, write: true, create: true, mode: 0o600 });
    if (!(await file.tryLock(true))) {
      file.close();
      return undefined;
    }
    const held = await file.stat();
    const there = await Deno.lstat(path).catch(() => undefined);
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
