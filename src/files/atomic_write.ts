import { dirname, join } from "../path/mod.ts";
import { fileError } from "../errors/mod.ts";

/** Options for {@linkcode atomicWriteFile}. */
export interface AtomicWriteOptions {
  /** File mode of the written file (default 0o644). */
  mode?: number;
  /**
   * `false` skips the fsync before the rename (default `true`): for a record that matters only
   * while the machine stays up, which a killed writer cannot lose (it is in the page cache).
   */
  durable?: boolean;
}

/**
 * The names openshell gives its temp files and directories beside what they become:
 * `.<uuid>.tmp`, or `.<what>.<uuid>.tmp`.
 */
export const TEMP_NAME =
  /^\.(?:.+\.)?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.tmp$/;

/**
 * How old a temp file must be to count as left by an interrupted write: a write in flight
 * touches its temp file within milliseconds, so one untouched this long has no writer left.
 */
export const STALE_TEMP_AGE_MS = 10 * 60 * 1000;

/**
 * A temp file name in `dir` of openshell's own form (see {@linkcode TEMP_NAME}), so that an
 * interrupted write can be recognised and cleaned up later.
 */
export function tempPath(dir: string, what = ""): string {
  return join(dir, `.${what === "" ? "" : `${what}.`}${crypto.randomUUID()}.tmp`);
}

/**
 * Writes `data` to `path` so that readers see either the old or the new content, never a
 * mix: a temp file in the same directory is written, fsynced and renamed over `path`.
 * The temp file is removed when anything fails; temp files that interrupted writes left in
 * the directory (older than {@linkcode STALE_TEMP_AGE_MS}) are removed first.
 *
 * @throws {UserError} `Cannot write "<path>": <reason>` when the write fails.
 * @example
 * ```ts
 * import { atomicWriteFile } from "./mod.ts";
 * await atomicWriteFile("/tmp/x/active_gateway", "corp", { mode: 0o600 });
 * ```
 */
export async function atomicWriteFile(
  path: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const mode = options.mode ?? 0o644;
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const dir = dirname(path);
  await removeStaleTemps(dir);
  const temp = tempPath(dir);
  try {
    const file = await Deno.open(temp, { write: true, createNew: true, mode });
    try {
      await Deno.chmod(temp, mode); // the umask must not weaken or widen the requested mode
      let written = 0;
      while (written < bytes.length) written += await file.write(bytes.subarray(written));
      if (options.durable !== false) await file.sync();
    } finally {
      file.close();
    }
    await Deno.rename(temp, path);
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    throw fileError("Cannot write", path, error);
  }
}

/**
 * {@linkcode atomicWriteFile} with synchronous calls, for a small file on a local file system
 * that its writer waits for (a thread-pool round trip for each call would cost more than the
 * call). It leaves temp files of interrupted writes alone: its caller clears them.
 *
 * @throws {UserError} `Cannot write "<path>": <reason>` when the write fails.
 */
export function atomicWriteFileSync(
  path: string,
  data: string,
  options: AtomicWriteOptions = {},
): void {
  const mode = options.mode ?? 0o644;
  const temp = tempPath(dirname(path));
  try {
    const file = Deno.openSync(temp, { write: true, createNew: true, mode });
    try {
      Deno.chmodSync(temp, mode); // the umask must not weaken or widen the requested mode
      const bytes = new TextEncoder().encode(data);
      let written = 0;
      while (written < bytes.length) written += file.writeSync(bytes.subarray(written));
      if (options.durable !== false) file.syncSync();
    } finally {
      file.close();
    }
    Deno.renameSync(temp, path);
  } catch (error) {
    try {
      Deno.removeSync(temp);
    } catch {
      // never made, or gone
    }
    throw fileError("Cannot write", path, error);
  }
}

/**
 * Removes what interrupted writes left in `dir`: entries named like openshell's temp files
 * and untouched for {@linkcode STALE_TEMP_AGE_MS}. A concurrent writer's temp file is young
 * and stays. Never fails: what cannot be removed now is tried again on the next write.
 *
 * @example
 * ```ts
 * import { removeStaleTemps } from "./atomic_write.ts";
 * await removeStaleTemps("/home/ada/.config/openshell/gateways/corp");
 * ```
 */
export async function removeStaleTemps(dir: string, now: number = Date.now()): Promise<void> {
  try {
    // One synchronous listing: the dirs written to hold a few entries, and a temp is rare.
    for (const entry of Deno.readDirSync(dir)) {
      if (!TEMP_NAME.test(entry.name)) continue;
      const path = join(dir, entry.name);
      const info = await Deno.lstat(path).catch(() => undefined);
      const touched = info?.mtime?.getTime();
      if (touched === undefined || now - touched < STALE_TEMP_AGE_MS) continue;
      await Deno.remove(path, { recursive: info!.isDirectory }).catch(() => {});
    }
  } catch {
    // An unreadable directory fails the write itself, with a better message.
  }
}
