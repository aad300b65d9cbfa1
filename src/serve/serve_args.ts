/**
 * `serve`'s options, their defaults, and the quick reading of its command line that lets the
 * common start skip loading the CLI library. The quick reading takes only the plain forms
 * (`--name N`, `--name=N`, `-n N`, each option at most once) and gives up on anything else
 * (help, an unknown or repeated option, a missing or dash-led value, a runtime that is not a
 * choice, an argument), which the full parser then handles with its usual help and errors.
 * Whatever it accepts, the full parser reads the same way.
 *
 * @module
 */
import { RUNTIME_NAMES, type RuntimeName } from "../runtime/mod.ts";
import { SECCOMP_MODES, type SeccompMode } from "../container/mod.ts";
import { GATEWAY_PORT } from "../container/mod.ts";

/** The parsed options of `serve`. */
export interface ServeOptions {
  name: string;
  listen: string;
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
}

/** The defaults of `serve`'s options. */
export const SERVE_DEFAULTS = {
  name: "local",
  listen: `127.0.0.1:${GATEWAY_PORT}`,
  memory: "512M",
  pids: "512",
  cpus: "0",
  seccomp: "default",
} as const satisfies Partial<ServeOptions>;

const FLAGS: Readonly<Record<string, keyof ServeOptions>> = {
  "-n": "name",
  "--name": "name",
  "-l": "listen",
  "--listen": "listen",
  "--runtime": "runtime",
  "--runtime-path": "runtimePath",
  "--state-dir": "stateDir",
  "--memory": "memory",
  "--pids": "pids",
  "--cpus": "cpus",
  "--seccomp": "seccomp",
};

/**
 * Reads `serve`'s arguments when they use only the plain forms; `undefined` otherwise (the
 * full parser must then read them).
 *
 * @example
 * ```ts
 * quickServeOptions(["--name", "dev", "-l", "127.0.0.1:9000"]);
 * // { name: "dev", listen: "127.0.0.1:9000" }
 * quickServeOptions(["--help"]); // undefined
 * ```
 */
export function quickServeOptions(args: readonly string[]): ServeOptions | undefined {
  const given: Partial<Record<keyof ServeOptions, string>> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const eq = arg.startsWith("--") ? arg.indexOf("=") : -1;
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    if (!Object.hasOwn(FLAGS, flag)) return undefined;
    const key = FLAGS[flag]!;
    const value = eq > 0 ? arg.slice(eq + 1) : args[++i];
    if (value === undefined || value === "" || value.startsWith("-")) return undefined;
    if (Object.hasOwn(given, key)) return undefined;
    given[key] = value;
  }
  const runtime = given.runtime;
  if (runtime !== undefined && !(RUNTIME_NAMES as readonly string[]).includes(runtime)) {
    return undefined;
  }
  const seccomp = given.seccomp ?? SERVE_DEFAULTS.seccomp;
  if (!(SECCOMP_MODES as readonly string[]).includes(seccomp)) return undefined;
  return {
    name: given.name ?? SERVE_DEFAULTS.name,
    listen: given.listen ?? SERVE_DEFAULTS.listen,
    ...(runtime === undefined ? {} : { runtime: runtime as RuntimeName }),
    memory: given.memory ?? SERVE_DEFAULTS.memory,
    pids: given.pids ?? SERVE_DEFAULTS.pids,
    cpus: given.cpus ?? SERVE_DEFAULTS.cpus,
    seccomp: seccomp as SeccompMode,
    ...(given.runtimePath === undefined ? {} : { runtimePath: given.runtimePath }),
    ...(given.stateDir === undefined ? {} : { stateDir: given.stateDir }),
  };
}
