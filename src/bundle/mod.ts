/**
 * The gateway rootfs: the image embedded in the program, its content-addressed cache of
 * unpacked trees, and the check that a program's runtime closure resolves inside it.
 *
 * @example
 * ```ts
 * import { ensureRootfs, verifyClosure } from "./bundle/mod.ts";
 * const rootfs = await ensureRootfs({ env: processEnv, uid: effectiveUid() });
 * const { ok, missing } = await verifyClosure(rootfs.path, Deno.execPath());
 * ```
 *
 * @module
 */
export {
  checkEntry,
  ensureRootfs,
  gcRootfs,
  inspectRootfs,
  rootfsCacheDir,
  type RootfsCacheOptions,
  type RootfsEntry,
  type RootfsInspection,
} from "./rootfs_cache.ts";
export {
  ensureProgramCopy,
  gcProgramCopies,
  programCacheDir,
  programDigests,
  runningProgram,
} from "./program_copy.ts";
export { type ClosureReport, verifyClosure, verifyImage } from "./verify_closure.ts";
export { PROGRAM_MOUNT_POINT } from "./image_layout.ts";
export { compareBytes } from "./pack_image.ts";
export { sha256Hex } from "./sha256.ts";
export { encodeTar, type TarRecord } from "./tar_format.ts";
export { IMAGE_DIR_VARIABLE, imageSource, loadManifest, readTarball } from "./embedded_image.ts";
export { checkTarball } from "./tarball_check.ts";
