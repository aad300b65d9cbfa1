/**
 * The gateway server's command line, parsed without any CLI library: the gateway runs inside
 * the container from the read-only mounted source and imports no npm package.
 *
 * @module
 */

import { isChallenge, parseListenAddress } from "../contract/mod.ts";
import {
  connectionCap,
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_OPEN_FILES,
  DEFAULT_REQUEST_TIMEOUT_MS,
} from "./_limits.ts";
import { CONTAINER_PATHS, GATEWAY_PORT } from "../contract/mod.ts";

/** What the gateway server needs to run. */
export interface GatewayOptions {
  /** The gateway's name, reported by `/v1/info`. */
  name: string;
  /** The address to listen on. */
  hostname: string;
  /** The TCP port to listen on (1-65535). */
  port: number;
  /** The directory holding the gateway's persistent state. */
  stateDir: string;
  /** The file holding the API bearer token. */
  tokenFile: string;
  /** The version reported by `/v1/info`. */
  version: string;
  /** A connection with no request under way is closed after this long, in milliseconds. */
  idleTimeoutMs: number;
  /** A request must arrive whole and be answered within this long, in milliseconds. */
  requestTimeoutMs: number;
  /** The process's descriptor limit (`RLIMIT_NOFILE`), which the connection cap follows. */
  openFiles: number;
  /** At most this many connections are open at once; by default, as the limit allows. */
  maxConnections: number;
  /** Rejections after the first of an interval this long are logged as one count. */
  rejectionLogIntervalMs: number;
  /** The server certificate, its key and the client CA, for mTLS; all three or none. */
  tlsCert?: string;
  tlsKey?: string;
  tlsClientCa?: string;
  /** The launcher's challenge: once listening, the gateway writes its proof on stderr. */
  readyChallenge?: string;
}

/** The defaults: the mount points the container provides. */
export const GATEWAY_DEFAULTS: Readonly<GatewayOptions> = {
  name: "local",
  hostname: "127.0.0.1",
  port: GATEWAY_PORT,
  stateDir: CONTAINER_PATHS.state,
  tokenFile: CONTAINER_PATHS.tokenFile,
  version: "unknown",
  idleTimeoutMs: DEFAULT_IDLE_TIMEOUT_MS,
  requestTimeoutMs: DEFAULT_REQUEST_TIMEOUT_MS,
  openFiles: DEFAULT_OPEN_FILES,
  maxConnections: connectionCap(DEFAULT_OPEN_FILES),
  rejectionLogIntervalMs: 10_000,
};

const FLAGS = {
  "--name": "name",
  "--listen": "listen",
  "--state-dir": "stateDir",
  "--token-file": "tokenFile",
  "--version": "version",
  "--idle-timeout-ms": "idleTimeoutMs",
  "--request-timeout-ms": "requestTimeoutMs",
  "--open-files": "openFiles",
  "--max-connections": "maxConnections",
  "--rejection-log-interval-ms": "rejectionLogIntervalMs",
  "--tls-cert": "tlsCert",
  "--tls-key": "tlsKey",
  "--tls-client-ca": "tlsClientCa",
  "--ready-challenge": "readyChallenge",
} as const;

/**
 * Parses the gateway's arguments: `--name N --listen HOST:PORT --state-dir DIR
 * --token-file FILE --version V --idle-timeout-ms MS --request-timeout-ms MS --open-files N
 * --max-connections N --rejection-log-interval-ms MS --tls-cert FILE --tls-key FILE
 * --tls-client-ca FILE --ready-challenge HEX`, each optional (the three TLS files together or
 * not at all),
 * `--flag=value` accepted too. Without `--max-connections`, the cap follows `--open-files`.
 *
 * @throws {RangeError} on an unknown flag, a missing value, a bad address, count or
 *   challenge, or only some of the TLS files.
 * @example
 * ```ts
 * import { parseGatewayOptions } from "./_gateway_options.ts";
 * parseGatewayOptions(["--name", "corp", "--listen", "127.0.0.1:9000"]).port; // 9000
 * ```
 */
export function parseGatewayOptions(args: readonly string[]): GatewayOptions {
  const options: GatewayOptions = { ...GATEWAY_DEFAULTS };
  let capped = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const eq = arg.indexOf("=");
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    if (!Object.hasOwn(FLAGS, flag)) throw new RangeError(`Unknown gateway option "${arg}"`);
    let value: string | undefined;
    if (eq > 0) value = arg.slice(eq + 1);
    else value = args[++i];
    if (value === undefined || value === "") {
      throw new RangeError(`Missing value for gateway option "${flag}"`);
    }
    const key = FLAGS[flag as keyof typeof FLAGS];
    if (key === "listen") Object.assign(options, parseListenAddress(value));
    else if (key === "readyChallenge" && !isChallenge(value)) {
      throw new RangeError(
        `Invalid value "${value}" for gateway option "${flag}": expected 32 to 128 hex digits`,
      );
    } else if (
      key === "idleTimeoutMs" || key === "requestTimeoutMs" || key === "openFiles" ||
      key === "maxConnections" || key === "rejectionLogIntervalMs"
    ) {
      options[key] = parseCount(flag, value);
      capped ||= key === "maxConnections";
    } else options[key] = value;
  }
  const tls = [options.tlsCert, options.tlsKey, options.tlsClientCa];
  if (tls.some((file) => file === undefined) && tls.some((file) => file !== undefined)) {
    throw new RangeError(
      'Gateway options "--tls-cert", "--tls-key" and "--tls-client-ca" go together',
    );
  }
  if (!capped) options.maxConnections = connectionCap(options.openFiles);
  return options;
}

function parseCount(flag: string, value: string): number {
  const count = /^\d{1,9}$/.test(value) ? Number(value) : 0;
  if (count < 1) {
    throw new RangeError(
      `Invalid value "${value}" for gateway option "${flag}": expected a positive integer`,
    );
  }
  return count;
}
