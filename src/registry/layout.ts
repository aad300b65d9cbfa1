import { join } from "../path/mod.ts";
import { fileError } from "../errors/mod.ts";
import { readRegularTextFileSync, REGISTRY_FILE_MAX_BYTES } from "../bounded_read/mod.ts";
import { UserError } from "../errors/mod.ts";
import { validateGatewayName } from "./gateway_name.ts";
import type { RegistryRoots } from "./registry_roots.ts";
import {
  type GatewayMetadata,
  parseMetadataWithSchema,
  parsePlainMetadata,
  type PlainParse,
} from "./gateway_metadata.ts";

/** The file in a registry root that names its active gateway. */
export const ACTIVE_FILE = "active_gateway";

/** `<root>/active_gateway`. */
export function activeFilePath(root: string): string {
  return join(root, ACTIVE_FILE);
}

/** `<root>/gateways`. */
export function gatewaysDirPath(root: string): string {
  return join(root, "gateways");
}

/** `<root>/gateways/<name>`, with the name checked first. */
export function gatewayDirPath(root: string, name: string): string {
  return join(root, "gateways", validateGatewayName(name));
}

/** The file of a registration in its directory. */
export const METADATA_FILE = "metadata.json";

/** `<root>/gateways/<name>/metadata.json`, with the name checked first. */
export function metadataFilePath(root: string, name: string): string {
  return join(gatewayDirPath(root, name), METADATA_FILE);
}

/** What reading one metadata file gave. */
export type MetadataRead =
  | { kind: "missing" }
  | { kind: "ok"; metadata: GatewayMetadata }
  | { kind: "error"; error: UserError };

/**
 * Reads and parses one metadata file. A file that does not exist (or whose directory does
 * not) is `missing`; a file that exists but cannot be read or parsed is an `error`.
 */
export async function readMetadataFile(path: string): Promise<MetadataRead> {
  const read = readMetadataFileNow(path);
  return read.kind === "schema" ? await read.read : read;
}

/**
 * {@linkcode readMetadataFile} without a promise for ordinary files: only a file that needs
 * the schema gives `schema`, whose `read` settles once the schema has looked at it.
 */
export function readMetadataFileNow(
  path: string,
): MetadataRead | { kind: "schema"; read: Promise<MetadataRead> } {
  let text: string;
  try {
    text = readRegularTextFileSync(path, REGISTRY_FILE_MAX_BYTES);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return { kind: "missing" };
    if (error instanceof Deno.errors.NotADirectory) return { kind: "missing" };
    return { kind: "error", error: fileError("Cannot read metadata", path, error) };
  }
  let parsed: PlainParse;
  try {
    parsed = parsePlainMetadata(text, path);
  } catch (error) {
    if (error instanceof UserError) return { kind: "error", error };
    throw error;
  }
  if (parsed.plain) return { kind: "ok", metadata: parsed.metadata };
  const read = parseMetadataWithSchema(parsed.json, path).then(
    (metadata): MetadataRead => ({ kind: "ok", metadata }),
    (error): MetadataRead => {
      if (error instanceof UserError) return { kind: "error", error };
      throw error;
    },
  );
  return { kind: "schema", read };
}

/**
 * The user directory for per-gateway files (tokens, mTLS material) of `name`, whether the
 * gateway is registered by the user or by the system. Computing it creates nothing.
 *
 * @throws {UserError} for an invalid name.
 * @example
 * ```ts
 * import { type RegistryRoots, userGatewayDir } from "./mod.ts";
 * const roots: RegistryRoots = { user: "/home/ada/.config/openshell", system: "/etc/openshell" };
 * userGatewayDir(roots, "corp"); // "/home/ada/.config/openshell/gateways/corp"
 * ```
 */
export function userGatewayDir(roots: RegistryRoots, name: string): string {
  return gatewayDirPath(roots.user, name);
}

/**
 * The API token file of gateway `name` (one served with `--auth token`), in its user gateway
 * dir. Computing it creates nothing.
 *
 * @throws {UserError} for an invalid name.
 * @example
 * ```ts
 * import { gatewayTokenPath, type RegistryRoots } from "./mod.ts";
 * const roots: RegistryRoots = { user: "/home/ada/.config/openshell", system: "/etc/openshell" };
 * gatewayTokenPath(roots, "local"); // "/home/ada/.config/openshell/gateways/local/token"
 * ```
 */
export function gatewayTokenPath(roots: RegistryRoots, name: string): string {
  return join(userGatewayDir(roots, name), "token");
}

/**
 * The directory of gateway `name`'s client mTLS material, in its user gateway dir (for a
 * system gateway too), as upstream keeps it. Computing it creates nothing.
 *
 * @throws {UserError} for an invalid name.
 * @example
 * ```ts
 * import { gatewayMtlsDir, type RegistryRoots } from "./mod.ts";
 * const roots: RegistryRoots = { user: "/home/ada/.config/openshell", system: "/etc/openshell" };
 * gatewayMtlsDir(roots, "corp"); // "/home/ada/.config/openshell/gateways/corp/mtls"
 * ```
 */
export function gatewayMtlsDir(roots: RegistryRoots, name: string): string {
  return join(userGatewayDir(roots, name), "mtls");
}

/** The paths of a CA certificate, a certificate and its key. */
export interface MtlsFilePaths {
  ca: string;
  cert: string;
  key: string;
}

/**
 * The CA certificate, certificate and key in `dir`, under the names upstream stores them
 * (`ca.crt`, `tls.crt`, `tls.key`).
 *
 * @example
 * ```ts
 * import { mtlsFilePaths } from "./mod.ts";
 * mtlsFilePaths("/home/ada/.config/openshell/gateways/corp/mtls").key;
 * // "/home/ada/.config/openshell/gateways/corp/mtls/tls.key"
 * ```
 */
export function mtlsFilePaths(dir: string): MtlsFilePaths {
  return { ca: join(dir, "ca.crt"), cert: join(dir, "tls.crt"), key: join(dir, "tls.key") };
}

/** The file beside a user registration that marks it as made by `serve`. */
export const SERVE_MARKER_FILE = "serve.json";

/**
 * Whether the user registration of `name` was made by `serve` (it has the marker beside it):
 * only those can be served here, so only those need their served state read.
 *
 * @example
 * ```ts
 * import { madeByServe, type RegistryRoots } from "./mod.ts";
 * const roots: RegistryRoots = { user: "/home/ada/.config/openshell", system: "/etc/openshell" };
 * madeByServe(roots, "local"); // false when `gateway add` made it
 * ```
 */
export function madeByServe(roots: RegistryRoots, name: string): boolean {
  // One synchronous lstat: a listing asks for each name a gateway home holds.
  try {
    return Deno.lstatSync(join(gatewayDirPath(roots.user, name), SERVE_MARKER_FILE)).isFile;
  } catch {
    return false;
  }
}
