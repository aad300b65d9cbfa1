/**
 * Where the launcher mounts the program inside the gateway rootfs, as the closure check and
 * `bundle verify` name it.
 *
 * @module
 */
import { CONTAINER_PATHS } from "../gateway/container_contract.ts";

/** Where the launcher bind-mounts the program (`Deno.execPath()`); an empty 0755 file. */
export const PROGRAM_MOUNT_POINT = CONTAINER_PATHS.binary;
