import { fromFileUrl, join } from "../path/mod.ts";
import { fileError } from "../errors/mod.ts";
import {
  FileTooLargeError,
  readRegularFile,
  readRegularTextFileSync,
} from "../bounded_read/mod.ts";
import { UserError } from "../errors/mod.ts";
import type { EnvLookup } from "../host/mod.ts";
import { type Manifest, parseManifest } from "./_manifest.ts";
import { type ImageSource, refuseImage } from "./tarball_check.ts";

/** A cap far above any manifest (about 150 bytes per image entry). */
const MANIFEST_MAX_BYTES = 16 * 1024 * 1024;

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
    tarball: fromFileUrl(new URL("../../rootfs/dist/rootfs.tar.gz", import.meta.url)),
    manifest: fromFileUrl(new URL("../../rootfs/dist/manifest.json", import.meta.url)),
  };
}

/**
 * Reads and checks the image manifest.
 *
 * @throws {UserError} when it is missing or malformed.
 */
export function loadManifest(source: ImageSource): Promise<Manifest> {
  // A synchronous read, in a promise as callers expect: far cheaper than thread-pool round trips.
  return Promise.try(() => {
    let text: string;
    try {
      text = readRegularTextFileSync(source.manifest, MANIFEST_MAX_BYTES);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) {
        throw new UserError(`The gateway rootfs image is missing: "${source.manifest}" not found`, {
          hint: "Build it with `deno task build:rootfs` (scripts/setup.sh does this)",
        });
      }
      throw fileError("Cannot read the rootfs image manifest", source.manifest, error);
    }
    try {
      return parseManifest(text, source.manifest);
    } catch (error) {
      throw new UserError((error as Error).message, {
        hint: "Rebuild the image with `deno task build:rootfs`",
      });
    }
  });
}

/**
 * Reads the tarball, which must be a regular file no larger than the manifest says: a
 * larger one is refused before anything is read.
 *
 * @throws {UserError} when it is missing, not a regular file, or too large.
 */
export async function readTarball(source: ImageSource, manifest: Manifest): Promise<Uint8Array> {
  try {
    return await readRegularFile(source.tarball, manifest.tarball.size);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new UserError(`The gateway rootfs image is missing: "${source.tarball}" not found`, {
        hint: "Build it with `deno task build:rootfs` (scripts/setup.sh does this)",
      });
    }
    if (error instanceof FileTooLargeError) {
      refuseImage(
        source,
        `size ${error.size ?? "over " + manifest.tarball.size} does not match the manifest's ` +
          `${manifest.tarball.size}`,
      );
    }
    throw fileError("Cannot read the rootfs image", source.tarball, error);
  }
}
