/**
 * Where `gateway add --local/--remote` finds an mTLS gateway's client certificates when none
 * are given, as NVIDIA OpenShell looks for them: the client TLS material a local gateway
 * package provisions (`$OPENSHELL_LOCAL_TLS_DIR`, else `$XDG_STATE_HOME/openshell/tls`, with
 * `ca.crt`, `client/tls.crt` and `client/tls.key`), copied in for `--local`; or files already
 * in the user's `gateways/<name>/mtls/`.
 *
 * @module
 */
import { isAbsolute, join } from "../path/mod.ts";
import type { MtlsFiles } from "../register/mod.ts";
import type { EnvLookup } from "../host/mod.ts";

/** The variable naming a gateway package's client TLS directory, as upstream reads it. */
export const LOCAL_TLS_DIR_VARIABLE = "OPENSHELL_LOCAL_TLS_DIR";

/**
 * The directory a local gateway package leaves its client TLS material in, or undefined
 * when neither the override nor a state directory can be derived.
 *
 * @example
 * ```ts
 * import { packageTlsDir } from "./mod.ts";
 * packageTlsDir((n) => ({ HOME: "/home/a" })[n]); // "/home/a/.local/state/openshell/tls"
 * ```
 */
export function packageTlsDir(env: EnvLookup): string | undefined {
  const override = env(LOCAL_TLS_DIR_VARIABLE);
  if (override) return override;
  const state = env("XDG_STATE_HOME");
  if (state && isAbsolute(state)) return join(state, "openshell/tls");
  const home = env("HOME");
  return home && isAbsolute(home) ? join(home, ".local/state/openshell/tls") : undefined;
}

/** The package's files for {@linkcode packageTlsDir}, as `addUserGateway` copies them. */
export function packageTlsFiles(dir: string): MtlsFiles {
  return {
    ca: join(dir, "ca.crt"),
    cert: join(dir, "client/tls.crt"),
    key: join(dir, "client/tls.key"),
  };
}

/** Whether every file of `files` exists and is a regular file. */
export function allFilesPresent(files: MtlsFiles): boolean {
  return [files.ca, files.cert, files.key].every((path) => {
    try {
      return Deno.statSync(path).isFile;
    } catch {
      return false;
    }
  });
}
