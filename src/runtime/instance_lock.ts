import { join } from "../path/mod.ts";

/** An exclusive lock on one gateway name, held for the life of a launch. */
export interface InstanceLock extends AsyncDisposable {
  release(): Promise<void>;
}

/**
 * Takes the exclusive lock for one gateway name without waiting: `undefined` when another
 * process holds it. The kernel drops the lock when its holder dies, even by SIGKILL, and the
 * file is opened close-on-exec so no runtime or container process inherits it.
 */
export async function tryLockInstance(dir: string): Promise<InstanceLock | undefined> {
  const file = await Deno.open(join(dir, "lock"), {
    read: true,
    write: true,
    create: true,
    mode: 0o600,
  });
  if (!(await file.tryLock(true))) {
    file.close();
    return undefined;
  }
  let released = false;
  const release = async () => {
    if (released) return;
    released = true;
    await file.unlock().catch(() => {});
    file.close();
  };
  return { release, [Symbol.asyncDispose]: release };
}
