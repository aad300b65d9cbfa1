/**
 * Size-bounded reads of files that other people or programs may have put in place (the
 * registry's files, certificates, the embedded image): only a regular file is opened, never
 * more than a cap is read. Kept apart from `../files/mod.ts` (writes, directories, removal)
 * so that the commands that only read the registry load nothing else.
 *
 * @example
 * ```ts
 * import { readRegularTextFileSync, REGISTRY_FILE_MAX_BYTES } from "./mod.ts";
 * const name = readRegularTextFileSync("/etc/openshell/active_gateway", REGISTRY_FILE_MAX_BYTES);
 * ```
 *
 * @module
 */
export {
  FileTooLargeError,
  readRegularFile,
  readRegularTextFile,
  readRegularTextFileSync,
  REGISTRY_FILE_MAX_BYTES,
} from "./read_regular_file.ts";
