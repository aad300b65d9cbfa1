/**
 * What the gateway container is, as every side sees it: the places the rootfs image ships as
 * mount points, its environment, the port the gateway listens on and the id its root maps to as root. The
 * image build, the OCI config, the exported image and Kubernetes manifest and the server's
 * own defaults all read these, so they cannot drift apart.
 *
 * @example
 * ```ts
 * import { CONTAINER_PATHS, GATEWAY_PORT } from "./container_contract.ts";
 * `${CONTAINER_PATHS.state} on ${GATEWAY_PORT}`; // "/var/lib/openshell on 8090"
 * ```
 *
 * @module
 */

/** Where things are inside the container (mount points the rootfs image ships). */
export const CONTAINER_PATHS = {
  /** The openshell program (the deno binary under `deno run`); an empty 0755 file in the image. */
  binary: "/usr/local/bin/openshell",
  /** The project's `src/` under `deno run`. */
  source: "/usr/local/lib/openshell",
  /** The gateway server's entry module under `deno run` (inside `source`). */
  serverEntry: "/usr/local/lib/openshell/server/main.ts",
  /** The per-gateway state dir, read-write. */
  state: "/var/lib/openshell",
  /** The staged secrets dir, read-only. */
  secrets: "/run/openshell",
  /** The API token file inside the secrets dir. */
  tokenFile: "/run/openshell/token",
  /** Deno's cache (`DENO_DIR`), on the `/tmp` tmpfs; the launcher may bind one made ahead. */
  denoDir: "/tmp/deno",
} as const;

/** The container's environment: no secrets, nothing from the caller. */
export const CONTAINER_ENV: readonly string[] = [
  "PATH=/usr/local/bin:/usr/bin:/bin",
  "HOME=/tmp",
  `DENO_DIR=${CONTAINER_PATHS.denoDir}`,
  "DENO_NO_UPDATE_CHECK=1",
  "NO_COLOR=1",
  "LANG=C.UTF-8",
];

/** The TCP port the gateway listens on unless told otherwise. */
export const GATEWAY_PORT = 8090;

/** The uid and gid the container's root is mapped to when the launcher is root. */
export const ROOT_MODE_HOST_ID = 65532;
