/**
 * Fixed places inside the gateway rootfs, shared by the image build and the launcher.
 *
 * @module
 */

/** Where the launcher bind-mounts the program (`Deno.execPath()`); an empty 0755 file. */
export const PROGRAM_MOUNT_POINT = "/usr/local/bin/openshell";
/** Where the launcher bind-mounts the project's `src/` when running from source. */
export const SOURCE_MOUNT_POINT = "/usr/local/lib/openshell";
/** The gateway's persistent state directory. */
export const STATE_MOUNT_POINT = "/var/lib/openshell";
/** The secrets directory, bound read-only at launch. */
export const SECRETS_MOUNT_POINT = "/run/openshell";
