/**
 * TODO-DOC files
 *
 * @module
 */
export { atomicWriteFile, tempPath } from "./atomic_write.ts";
export { pathExists } from "./path_exists.ts";
export { ensureOwnedDir } from "./private_dir.ts";
export {
  FileTooLargeError,
  readRegularFile,
  readRegularTextFile,
  readRegularTextFileSync,
  REGISTRY_FILE_MAX_BYTES,
} from "./read_regular_file.ts";
export { removeTree } from "./remove_tree.ts";
