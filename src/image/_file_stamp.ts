/**
 * Records that a file, as it is on disk now, passed a check: the file's identity and the
 * kernel's change time, written beside the cache entries after the full check (the tarball
 * matched its manifest). Any write to the file, a rename over it or a metadata change moves
 * its change time (which no unprivileged process can set), so while the record matches,
 * the file is the one that was checked and the check can be skipped. A file changed within
 * the last seconds is never recorded (time stamps are coarse), and a file without these
 * fields (one embedded in a compiled program) is always checked in full.
 *
 * @module
 */

/** How old the file's last change must be before a pass is recorded. */
const SETTLED_MS = 2000;

/** The identity of the file at `path` as a stamp line, or `undefined` when it has none. */
export function fileStamp(path: string, info: Deno.FileInfo): string | undefined {
  const { dev, ino, size, mtime, ctime } = info;
  if (!info.isFile || !dev || !ino || !mtime || !ctime) return undefined;
  return `${JSON.stringify(path)} ${dev} ${ino} ${size} ${mtime.getTime()} ${ctime.getTime()}\n`;
}

/**
 * Whether `stampFile` records exactly `stamp` (the file as it is now).
 *
 * @example
 * ```ts
 * import { fileStamp, stampMatches } from "./_file_stamp.ts";
 * const tarball = "rootfs/dist/rootfs.tar.gz";
 * const stampFile = "/home/ada/.cache/openshell/rootfs-checks/3f2a.verified";
 * const stamp = fileStamp(tarball, Deno.statSync(tarball));
 * // true when hashed before and unchanged since
 * const unchanged = stamp !== undefined && stampMatches(stampFile, stamp);
 * ```
 */
export function stampMatches(stampFile: string, stamp: string): boolean {
  try {
    return Deno.readTextFileSync(stampFile) === stamp;
  } catch {
    return false;
  }
}

/**
 * Records `stamp` as `dir/name` (atomically; `dir` is made 0700 when its parent exists)
 * when the file it describes last changed long enough ago. Best effort: a record that
 * cannot be written only means the next use checks in full again.
 */
export function recordStamp(
  dir: string,
  name: string,
  stamp: string,
  info: Pick<Deno.FileInfo, "mtime" | "ctime">,
): void {
  const changed = Math.max(info.mtime?.getTime() ?? Infinity, info.ctime?.getTime() ?? Infinity);
  if (!(Date.now() - changed >= SETTLED_MS)) return;
  const temp = `${dir}/${name}.tmp-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  try {
    try {
      // Only `dir` itself: its parents are made by the cache with the modes they need.
      Deno.mkdirSync(dir, { mode: 0o700 });
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
    }
    Deno.writeTextFileSync(temp, stamp, { createNew: true, mode: 0o600 });
    Deno.renameSync(temp, `${dir}/${name}`);
  } catch {
    try {
      Deno.removeSync(temp);
    } catch {
      // never written
    }
  }
}
