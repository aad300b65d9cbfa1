/**
 * File operations that leave nothing half-done and trust no file blindly: atomic writes
 * (temp file, fsync, rename), reads of what another principal wrote (no link followed, no
 * pipe waited on, owner checked), directories made with exactly the owner and mode asked for,
 * and removal of trees whose modes forbid it. What a file means is decided elsewhere
 * (registry, image, serve); size-bounded reads of regular files are `../bounded_read/mod.ts`.
 *
 * @example
 * ```ts
 * import { atomicWriteFile, pathExists } from "./mod.ts";
 * const path = "/home/ada/.config/openshell/active_gateway";
 * await atomicWriteFile(path, "corp\n", { mode: 0o644 });
 * await pathExists(path); // true
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
export { removeTree } from "./remove_tree.ts";
export {
  checkOwnedDirs,
  openUntrusted,
  readUntrusted,
  type UntrustedFile,
  UntrustedPathError,
} from "./untrusted_file.ts";
