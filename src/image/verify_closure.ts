import { join } from "../path/mod.ts";
import { type ClosureRoot, resolveClosure } from "./_closure.ts";
import { isElfFile } from "./_elf.ts";
import { CONTAINER_PATHS } from "../contract/mod.ts";
import { RootView } from "./_root_view.ts";

/** What {@linkcode verifyImage} found. */
export interface ClosureReport {
  ok: boolean;
  /** What did not resolve, one line each. */
  missing: string[];
  /** The ELF files checked as programs: the mounted program, then those in the image. */
  checked: string[];
  /** Every object the closures loaded, as in-image paths (the mounted program included). */
  resolved: string[];
}

/**
 * The launcher's pre-flight check: whether `entrypoint` (a host file the launcher
 * bind-mounts at /usr/local/bin/openshell) finds its interpreter and every DT_NEEDED
 * library, recursively, inside the unpacked rootfs with matching ELF class and machine.
 * Looks only inside `rootfsPath` (and at `entrypoint` itself); a few milliseconds.
 *
 * @example
 * ```ts
 * import { verifyClosure } from "./mod.ts";
 * const rootfs = "/home/ada/.cache/openshell/rootfs/3f2a/rootfs";
 * const { ok, missing } = await verifyClosure(rootfs, Deno.execPath());
 * if (!ok) throw new Error(`missing: ${missing.join(", ")}`);
 * ```
 */
export async function verifyClosure(
  rootfsPath: string,
  entrypoint: string,
): Promise<{ ok: boolean; missing: string[] }> {
  const closure = await resolveClosure(new RootView(rootfsPath), [
    { path: CONTAINER_PATHS.binary, hostPath: entrypoint },
  ]);
  return { ok: closure.missing.length === 0, missing: closure.missing };
}

/**
 * What `bundle verify` checks: {@linkcode verifyClosure} for `entrypoint`, and the same for
 * every ELF file in the image, with the details it prints.
 */
export async function verifyImage(rootfsPath: string, entrypoint: string): Promise<ClosureReport> {
  const roots: ClosureRoot[] = [{ path: CONTAINER_PATHS.binary, hostPath: entrypoint }];
  for (const path of await listElfFiles(rootfsPath)) {
    if (path === CONTAINER_PATHS.binary) continue;
    roots.push({ path, hostPath: join(rootfsPath, path) });
  }
  const closure = await resolveClosure(new RootView(rootfsPath), roots);
  return {
    ok: closure.missing.length === 0,
    missing: closure.missing,
    checked: roots.map((root) => root.path),
    resolved: [...closure.objects.keys()].sort(),
  };
}

/** In-image paths of the regular ELF files under `root` (symlinks not followed). */
async function listElfFiles(root: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string) => {
    const items = await Array.fromAsync(Deno.readDir(join(root, dir)));
    for (const item of items.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const path = join(dir, item.name);
      if (item.isDirectory) await walk(path);
      else if (item.isFile && (await isElfFile(join(root, path)).catch(() => false))) {
        found.push(path);
      }
    }
  };
  await walk("/");
  return found;
}
