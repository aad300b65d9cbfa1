/**
 * `serve`'s options and their defaults (the command line is read by the CLI's parser).
 *
 * @module
 */
import type { RuntimeName } from "../runtime/mod.ts";
import type { SeccompMode } from "../container/mod.ts";
import { GATEWAY_PORT } from "../contract/mod.ts";

/** The parsed options of `serve`. */
export interface ServeOptions {
  name: string;
  /** The `--listen` address; absent: where `name` is registered, else the default. */
  listen?: string | undefined;
  /** The runtime named with --runtime; absent: chosen for this host (`runtime/mod.ts`). */
  runtime?: RuntimeName | undefined;
  runtimePath?: string | undefined;
  stateDir?: string | undefined;
  /** The container's memory limit (`512M`, `1G`, ...). */
  memory: string;
  /** The container's task limit. */
  pids: string;
  /** CPU time in CPUs; `0` for no cap. */
  cpus: string;
  seccomp: SeccompMode;
  /**
   * How clients log in: client certificates (`mtls`) or the API token over plaintext;
   * absent: as `name` is registered, else the default.
   */
  auth?: ServeAuth | undefined;
}

/** The ways a served gateway authenticates its clients (`serve --auth`). */
export const SERVE_AUTH_MODES = ["mtls", "token"] as const;
/** One of {@linkcode SERVE_AUTH_MODES}. */
export type ServeAuth = typeof SERVE_AUTH_MODES[number];

/** The defaults of `serve`'s options. */
export const SERVE_DEFAULTS = {
  name: "local",
  listen: `127.0.0.1:${GATEWAY_PORT}`,
  memory: "512M",
  pids: "512",
  cpus: "0",
  seccomp: "default",
  auth: "mtls",
} as const satisfies Partial<ServeOptions>;
