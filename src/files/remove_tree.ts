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
