/**
 * How the gateway is started under `deno run`: the Deno flags granting exactly what the
 * server needs, and its own arguments. Shared by the OCI config and by tests that run the
 * gateway on the host, so both run it the same way.
 *
 * @module
 */

/** The files of a gateway served with mTLS (read-only). */
export interface GatewayTlsPaths {
  /** The server certificate. */
  cert: string;
  /** The server's private key. */
  key: string;
  /** The CA a client certificate must be signed by. */
  clientCa: string;
}

/** Where the gateway reads and writes. */
export interface GatewayPaths {
  /** Persistent state (read-write). */
  stateDir: string;
  /** The API token file (read-only). */
  tokenFile: string;
  /** The TLS files, for a gateway served with mTLS; absent: plaintext. */
  tls?: GatewayTlsPaths | undefined;
}

/** The names of the TLS files in the staged secrets directory. */
export const TLS_SECRET_FILES: Readonly<GatewayTlsPaths> = {
  cert: "tls.crt",
  key: "tls.key",
  clientCa: "client-ca.crt",
};

/**
 * The TLS files as the gateway finds them in `secretsDir`.
 *
 * @example
 * ```ts
 * import { tlsSecretPaths } from "./mod.ts";
 * tlsSecretPaths("/run/openshell").key; // "/run/openshell/tls.key"
 * ```
 */
export function tlsSecretPaths(secretsDir: string): GatewayTlsPaths {
  return {
    cert: `${secretsDir}/${TLS_SECRET_FILES.cert}`,
    key: `${secretsDir}/${TLS_SECRET_FILES.key}`,
    clientCa: `${secretsDir}/${TLS_SECRET_FILES.clientCa}`,
  };
}

/**
 * The `deno run` flags for the gateway run from `sourceDir` (the program's `src/`): no config,
 * no lock file, no downloads, no V8 code cache (its `DENO_DIR` is made anew for each start, so
 * a cache written there is never read back, and making it costs the gateway time and
 * memory); modules imported on first need (HTTP/2 and gRPC, TLS) read and compiled only then,
 * not with the entry module (a gateway that no HTTP/2 client has reached runs 3-4 MB smaller),
 * which is why it may read `sourceDir`; network only on the listen address; reads otherwise
 * only of its state, token and TLS files; writes only of its state.
 *
 * @example
 * ```ts
 * import { gatewayDenoFlags } from "./mod.ts";
 * gatewayDenoFlags(
 *   "127.0.0.1:8090",
 *   { stateDir: "/var/lib/openshell", tokenFile: "/run/openshell/token" },
 *   "/usr/local/lib/openshell",
 * );
 * ```
 */
export function gatewayDenoFlags(listen: string, paths: GatewayPaths, sourceDir: string): string[] {
  const tls = paths.tls;
  const readable = [
    sourceDir,
    paths.stateDir,
    paths.tokenFile,
    ...(tls ? [tls.cert, tls.key, tls.clientCa] : []),
  ];
  return [
    "--no-config",
    "--no-lock",
    "--cached-only",
    "--no-code-cache",
    "--no-prompt",
    "--unstable-lazy-dynamic-imports",
    `--allow-net=${listen}`,
    `--allow-read=${readable.join(",")}`,
    `--allow-write=${paths.stateDir}`,
    "--allow-sys=uid",
  ];
}

/**
 * The gateway's own arguments; `openFiles` is the descriptor limit it runs under, when the
 * launcher set it (the gateway sizes its connection cap by it), and `readyChallenge` the
 * challenge whose proof it writes once it listens (see `launch_proof.ts`), when a launcher
 * waits for it.
 */
export function gatewayArgs(
  options: {
    name: string;
    listen: string;
    version: string;
    openFiles?: number;
    readyChallenge?: string;
  } & GatewayPaths,
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
    ...(options.tls
      ? [
        "--tls-cert",
        options.tls.cert,
        "--tls-key",
        options.tls.key,
        "--tls-client-ca",
        options.tls.clientCa,
      ]
      : []),
    ...(options.openFiles === undefined ? [] : ["--open-files", String(options.openFiles)]),
    ...(options.readyChallenge === undefined ? [] : ["--ready-challenge", options.readyChallenge]),
  ];
}

/**
 * Parses `host:port` (IPv6 hosts in brackets) into its parts.
 *
 * @throws {RangeError} when the address is malformed or the port is out of range.
 * @example
 * ```ts
 * import { parseListenAddress } from "./mod.ts";
 * parseListenAddress("127.0.0.1:8090"); // { hostname: "127.0.0.1", port: 8090 }
 * parseListenAddress("[::1]:80"); // { hostname: "::1", port: 80 }
 * ```
 */
export function parseListenAddress(value: string): { hostname: string; port: number } {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^\s:\[\]]+)):(\d{1,5})$/.exec(value);
  if (!match) {
    throw new RangeError(`Invalid listen address "${value}": expected HOST:PORT`);
  }
  const port = Number(match[3]);
  if (port < 1 || port > 65535) {
    throw new RangeError(`Invalid listen address "${value}": port must be 1-65535`);
  }
  return { hostname: (match[1] ?? match[2])!, port };
}
