/**
 * File operations that leave nothing half-done and trust no file blindly: atomic writes
 * (temp file, fsync, rename), size-bounded reads that refuse anything but a regular file,
 * directories made with exactly the owner and mode asked for, and removal of trees whose
 * modes forbid it. What a file means is decided elsewhere (registry, image, serve).
 *
 * @example
 * ```ts
 * import { atomicWriteFile, readRegularTextFile, REGISTRY_FILE_MAX_BYTES } from "./mod.ts";
 * const path = "/home/ada/.config/openshell/active_gateway";
 * await atomicWriteFile(path, "corp\n", { mode: 0o644 });
 * await readRegularTextFile(path, REGISTRY_FILE_MAX_BYTES); // "corp\n"
 * ```
 *
 * @module
 */
export {
  atomicWriteFile,
  atomicWriteFileSync,
  removeStaleTemps,
  tempPath,
} from "./atomic_write.ts";
export { pathExists, pathExistsSync } from "./path_exists.ts";
export { ensureOwnedDir } from "./private_dir.ts";
export {
  FileTooLargeError,
  readRegularFile,
  readRegularTextFile,
  readRegularTextFileSync,
  REGISTRY_FILE_MAX_BYTES,
} from "./read_regular_file.ts";
export { removeTree } from "./remove_tree.ts";
export {
  checkOwnedDirs,
  openUntrusted,
  readUntrusted,
  type UntrustedFile,
  UntrustedPathError,
} from "./untrusted_file.ts";
