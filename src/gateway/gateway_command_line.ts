/**
 * How the gateway is started under `deno run`: the Deno flags granting exactly what the
 * server needs, and its own arguments. Shared by the OCI config and by tests that run the
 * gateway on the host, so both run it the same way.
 *
 * @module
 */

/** Where the gateway reads and writes. */
export interface GatewayPaths {
  /** Persistent state (read-write). */
  stateDir: string;
  /** The API token file (read-only). */
  tokenFile: string;
}

/**
 * The `deno run` flags for the gateway: no config, no lock file, no downloads; network only
 * on the listen address; reads only of its state and token; writes only of its state.
 *
 * @example
 * ```ts
 * gatewayDenoFlags("127.0.0.1:8090", { stateDir: "/var/lib/openshell", tokenFile: "/run/openshell/token" });
 * ```
 */
export function gatewayDenoFlags(listen: string, paths: GatewayPaths): string[] {
  return [
    "--no-config",
    "--no-lock",
    "--cached-only",
    "--no-prompt",
    `--allow-net=${listen}`,
    `--allow-read=${paths.stateDir},${paths.tokenFile}`,
    `--allow-write=${paths.stateDir}`,
    "--allow-sys=uid",
  ];
}

/** The gateway's own arguments. */
export function gatewayArgs(
  options: { name: string; listen: string; version: string } & GatewayPaths,
): string[] {
  return [
    "--name",
    options.name,
    "--listen",
    options.listen,
    "--state-dir",
    options.stateDir,
    "--token-file",
    options.tokenFile,
    "--version",
    options.version,
  ];
}
