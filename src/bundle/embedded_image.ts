import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { UserError } from "../user_error.ts";
import type { EnvLookup } from "../xdg_dirs.ts";
import { type Manifest, parseManifest } from "./manifest.ts";
import type { ImageSource } from "./tarball_check.ts";

/** The environment variable naming a directory with another image to use instead. */
export const IMAGE_DIR_VARIABLE = "OPENSHELL_ROOTFS_IMAGE";

/**
 * Where the rootfs image is: `rootfs/dist/` beside the sources (embedded into the compiled
 * binary by `deno compile --include rootfs/dist`), or the directory named by
 * `OPENSHELL_ROOTFS_IMAGE` (holding `rootfs.tar.gz` and `manifest.json`).
 */
export function imageSource(env: EnvLookup): ImageSource {
  const override = env(IMAGE_DIR_VARIABLE);
  if (override) {
    return { tarball: join(override, "rootfs.tar.gz"), manifest: join(override, "manifest.json") };
  }
  return {
    tarball: fileURLToPath(new URL("../../rootfs/dist/rootfs.tar.gz", import.meta.url)),
    manifest: fileURLToPath(new URL("../../rootfs/dist/manifest.json", import.meta.url)),
  };
}

/**
 * Reads and checks the image manifest.
 *
 * @throws {UserError} when it is missing or malformed.
 */
export async function loadManifest(source: ImageSource): Promise<Manifest> {
  let text: string;
  try {
    text = await Deno.readTextFile(source.manifest);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new UserError(`The gateway rootfs image is missing: "${source.manifest}" not found`, {
        hint: "Build it with `deno task build:rootfs` (scripts/setup.sh does this)",
      });
    }
    throw error;
  }
  try {
    return parseManifest(text, source.manifest);
  } catch (error) {
    throw new UserError((error as Error).message, {
      hint: "Rebuild the image with `deno task build:rootfs`",
    });
  }
}

/**
 * Reads the tarball.
 *
 * @throws {UserError} when it is missing.
 */
export async function readTarball(source: ImageSource): Promise<Uint8Array> {
  try {
    return await Deno.readFile(source.tarball);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new UserError(`The gateway rootfs image is missing: "${source.tarball}" not found`, {
        hint: "Build it with `deno task build:rootfs` (scripts/setup.sh does this)",
      });
    }
    throw error;
  }
}
