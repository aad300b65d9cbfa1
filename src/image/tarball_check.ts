/**
 * The check of the compressed rootfs tarball against its manifest (size and sha256), kept
 * apart from extraction so a launch with a ready cache entry loads neither the gzip nor the
 * tar code: the digest comes from Web Crypto, which needs no module loaded.
 *
 * @module
 */
import { UserError } from "../errors/mod.ts";
import type { Manifest } from "./_manifest.ts";
import { webSha256Hex } from "./_web_sha256.ts";

/** Where an image came from, for messages. */
export interface ImageSource {
  tarball: string;
  manifest: string;
}

/**
 * Checks the compressed tarball's size and sha256 against its manifest.
 *
 * @throws {UserError} when either differs.
 * @example
 * ```ts
 * import { processEnv } from "../host/mod.ts";
 * import { checkTarball, imageSource, loadManifest } from "./mod.ts";
 * const source = imageSource(processEnv);
 * const manifest = await loadManifest(source);
 * await checkTarball(await Deno.readFile(source.tarball), manifest, source);
 * ```
 */
export async function checkTarball(
  tarball: Uint8Array,
  manifest: Manifest,
  source: ImageSource,
): Promise<void> {
  if (tarball.length !== manifest.tarball.size) {
    refuseImage(
      source,
      `size ${tarball.length} does not match the manifest's ${manifest.tarball.size}`,
    );
  }
  const digest = await webSha256Hex(tarball as Uint8Array<ArrayBuffer>);
  if (digest !== manifest.tarball.sha256) {
    refuseImage(
      source,
      `sha256 ${digest} does not match the manifest's ${manifest.tarball.sha256}`,
    );
  }
}

/**
 * Refuses an image that does not match its manifest.
 *
 * @throws {UserError} always, naming the tarball and `message`.
 */
export function refuseImage(source: ImageSource, message: string): never {
  throw new UserError(`Refusing rootfs image "${source.tarball}": ${message}`, {
    hint: "The image is damaged or was tampered with: rebuild it (`deno task build:rootfs`) " +
      "or reinstall openshell",
  });
}
