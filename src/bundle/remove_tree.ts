/**
 * Removes a directory tree that may hold read-only (0555) directories: makes every
 * directory owner-writable first, then removes. Missing paths are fine.
 */
export async function removeTree(path: string): Promise<void> {
  await makeWritable(path);
  try {
    await Deno.remove(path, { recursive: true });
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}

async function makeWritable(path: string): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(path);
  } catch {
    return;
  }
  if (!info.isDirectory) return;
  await Deno.chmod(path, ((info.mode ?? 0o700) & 0o777) | 0o700);
  for await (const entry of Deno.readDir(path)) {
    if (entry.isDirectory) await makeWritable(`${path}/${entry.name}`);
  }
}
