/**
 * The packaged gateway as an OCI image (an image layout or a docker-archive) and the
 * Kubernetes manifest that runs it.
 *
 * @module
 */
export { IMAGE_DIR_VARIABLE, imageSource, loadManifest, readTarball } from "./embedded_image.ts";
export type { ExportOptions, ExportResult } from "./export_image.ts";
export {
  checkKubeToken,
  kubeManifest,
  type KubeOptions,
  type KubeToken,
  TOKEN_FILE_MODE,
} from "./kube_manifest.ts";
export { DEFAULT_IMAGE_TAG, IMAGE_GATEWAY_NAME, withTag } from "./oci_image.ts";
export type { ImageEntry } from "./pack_image.ts";
export { compareBytes } from "./byte_order.ts";
export {
  ensureProgramCopy,
  gcProgramCopies,
  programCacheDir,
  programDigests,
  runningProgram,
} from "./program_copy.ts";
export {
  checkEntry,
  ensureRootfs,
  gcRootfs,
  inspectRootfs,
  rootfsCacheDir,
  type RootfsCacheOptions,
  type RootfsEntry,
  type RootfsInspection,
  verifyEntryClosure,
} from "./rootfs_cache.ts";
export { encodeTar, type TarRecord } from "./tar_format.ts";
export { checkTarball } from "./tarball_check.ts";
export type { ClosureReport } from "./verify_closure.ts";

// Loaded on first use: `serve` needs none of them (the closure check only without a recorded
// pass).
import type * as Closure from "./verify_closure.ts";
import type * as Export from "./export_image.ts";

/** Exports the gateway as an OCI image: see `export_image.ts`. */
export const exportImage: typeof Export.exportImage = async (...args) =>
  (await import("./export_image.ts")).exportImage(...args);
/** Whether a program finds what it links against in a rootfs: see `verify_closure.ts`. */
export const verifyClosure: typeof Closure.verifyClosure = async (...args) =>
  (await import("./verify_closure.ts")).verifyClosure(...args);
/** `bundle verify`'s check of the program and every ELF file: see `verify_closure.ts`. */
export const verifyImage: typeof Closure.verifyImage = async (...args) =>
  (await import("./verify_closure.ts")).verifyImage(...args);
