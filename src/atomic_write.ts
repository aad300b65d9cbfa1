import { dirname, join } from "node:path";

/** Options for {@linkcode atomicWriteFile}. */
export interface AtomicWriteOptions {
  /** File mode of the written file (default 0o644). */
  mode?: number;
}

/**
 * Writes `data` to `path` so that readers see either the old or the new content, never a
 * mix: a temp file in the same directory is written, fsynced and renamed over `path`.
 * The temp file is removed when anything fails.
 *
 * @example
 * ```ts
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
  const temp = join(dirname(path), `.${crypto.randomUUID()}.tmp`);
  try {
    const file = await Deno.open(temp, { write: true, createNew: true, mode });
    try {
      await Deno.chmod(temp, mode); // the umask must not weaken or widen the requested mode
      let written = 0;
      while (written < bytes.length) written += await file.write(bytes.subarray(written));
      await file.sync();
    } finally {
      file.close();
    }
    await Deno.rename(temp, path);
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    throw error;
  }
}
