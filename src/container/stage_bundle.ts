/**
 * Per-launch OCI bundle staging: a 0700 directory holding `config.json` (0600) and the
 * secret files the container reads through a read-only bind. The rootfs is not copied: the
 * config points at the read-only cache entry.
 *
 * @module
 */
import { join } from "../path/mod.ts";
import { fileError } from "../errors/mod.ts";
import { removeTree } from "../files/mod.ts";
import { stageDenoDir } from "./gateway_deno_dir.ts";
import type { OciConfig } from "./oci_config.ts";

/** The paths of one staged bundle. */
export interface BundlePaths {
  dir: string;
  config: string;
  /** The directory bound read-only at `/run/openshell`. */
  secrets: string;
  /** This start's writable part of the Deno cache made ahead, bound as its `DENO_DIR`. */
  denoDir: string;
}

/**
 * Where the bundle for container `id` lives under `parent`.
 *
 * @example
 * ```ts
 * import { bundlePaths } from "./mod.ts";
 * bundlePaths("/run/openshell/bundles", "openshell-local-1a2b3c4d").secrets;
 * // "/run/openshell/bundles/openshell-local-1a2b3c4d/secrets"
 * ```
 */
export function bundlePaths(parent: string, id: string): BundlePaths {
  const dir = join(parent, id);
  return {
    dir,
    config: join(dir, "config.json"),
    secrets: join(dir, "secrets"),
    denoDir: join(dir, "deno"),
  };
}

/** What {@linkcode stageBundle} writes. */
export interface StageBundleOptions {
  paths: BundlePaths;
  config: OciConfig;
  /** Secret files by name, written 0400 into the secrets directory. */
  secrets: Record<string, string>;
  /** The Deno cache made ahead (see `gateway_deno_dir.ts`), staged at `paths.denoDir`. */
  denoDirTemplate?: string | undefined;
  /**
   * Who the container's root is on the host when that is not the caller (root mode): the
   * bundle and secrets directories and the secret files are handed to it so the container
   * can traverse and read them; `config.json` stays the caller's.
   */
  containerOwner?: { uid: number; gid: number };
}

/**
 * Stages the bundle. The directory must not exist yet; on any failure everything written is
 * removed again before the error is rethrown.
 *
 * @example
 * ```ts
 * import { bundlePaths, type OciConfig, stageBundle } from "./mod.ts";
 * async function stageLaunch(config: OciConfig, token: string): Promise<void> {
 *   const paths = bundlePaths("/run/user/1000/openshell/bundles", "openshell-local-1a2b3c4d");
 *   await stageBundle({ paths, config, secrets: { token } });
 * }
 * ```
 */
export async function stageBundle(options: StageBundleOptions): Promise<void> {
  const { paths, containerOwner } = options;
  // Synchronous steps: a dozen small writes in a row on the runtime dir's file system, each
  // far cheaper than as an async op; the launch waits for all of them anyway.
  Deno.mkdirSync(paths.dir, { mode: 0o700 });
  try {
    Deno.chmodSync(paths.dir, 0o700);
    writeNew(paths.config, JSON.stringify(options.config, null, 2) + "\n", 0o600);
    Deno.mkdirSync(paths.secrets, { mode: 0o700 });
    for (const [name, content] of Object.entries(options.secrets)) {
      if (!/^[A-Za-z0-9_.-]+$/.test(name) || name.startsWith(".")) {
        throw new RangeError(`Invalid secret file name "${name}"`);
      }
      const file = join(paths.secrets, name);
      writeNew(file, content, 0o400);
      if (containerOwner) Deno.chownSync(file, containerOwner.uid, containerOwner.gid);
    }
    Deno.chmodSync(paths.secrets, 0o500);
    if (options.denoDirTemplate !== undefined) {
      stageDenoDir(options.denoDirTemplate, paths.denoDir, containerOwner);
    }
    if (containerOwner) {
      Deno.chownSync(paths.secrets, containerOwner.uid, containerOwner.gid);
      Deno.chownSync(paths.dir, containerOwner.uid, containerOwner.gid);
    }
  } catch (error) {
    await removeBundle(paths);
    throw error;
  }
}

/**
 * Removes a staged bundle, secrets included, even though the secrets directory is
 * read-only. A bundle that is already gone is fine.
 */
export async function removeBundle(paths: BundlePaths): Promise<void> {
  await Deno.chmod(paths.secrets, 0o700).catch(() => {});
  await Deno.chmod(paths.dir, 0o700).catch(() => {});
  // The gateway may have left its copy of the Deno cache unreadable to its owner.
  await removeTree(paths.dir);
}

/** Writes a new file; a failure names it (a write on a full disk names no path by itself). */
function writeNew(path: string, content: string, mode: number): void {
  const file = Deno.openSync(path, { write: true, createNew: true, mode });
  try {
    Deno.chmodSync(path, mode);
    const bytes = new TextEncoder().encode(content);
    let written = 0;
    while (written < bytes.length) written += file.writeSync(bytes.subarray(written));
  } catch (error) {
    throw fileError("Cannot write", path, error);
  } finally {
    file.close();
  }
}
