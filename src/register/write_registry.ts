import { programCommand } from "../errors/mod.ts";
import { basename, dirname, join } from "../path/mod.ts";
import { atomicWriteFile, tempPath } from "../files/mod.ts";
import { readRegularFile, REGISTRY_FILE_MAX_BYTES } from "../bounded_read/mod.ts";
import { UserError } from "../errors/mod.ts";
import {
  activeFilePath,
  gatewayDirPath,
  gatewaysDirPath,
  metadataFilePath,
  readMetadataFile,
} from "../registry/mod.ts";
import { fileError } from "../errors/mod.ts";
import {
  gatewayMtlsDir,
  mtlsFilePaths,
  readActiveFile,
  SERVE_MARKER_FILE,
} from "../registry/mod.ts";
import {
  checkGatewayMetadata,
  type GatewayMetadata,
  serializeGatewayMetadata,
} from "../registry/mod.ts";
import { validateGatewayName } from "../registry/mod.ts";
import { readGatewayMetadata, type ResolvedGateway } from "../registry/mod.ts";
import type { RegistryRoots } from "../registry/mod.ts";
import { ensureUserDir, PRIVATE_DIR_MODE, refuseUnlessDirectory } from "./_user_dir.ts";

/** Mode of secret files (keys, tokens). */
export const SECRET_FILE_MODE = 0o600;

/**
 * Creates (0700) and returns {@linkcode userGatewayDir}. It never creates `metadata.json`,
 * so files stored here for a system gateway do not hide that gateway.
 */
export function ensureUserGatewayDir(roots: RegistryRoots, name: string): Promise<string> {
  return ensureUserDir(roots.user, "gateways", validateGatewayName(name));
}

/**
 * Writes a secret file (0600, atomically) into the user directory of `name`, e.g. a token.
 *
 * @example
 * ```ts
 * import { type RegistryRoots } from "../registry/mod.ts";
 * import { writeUserGatewayFile } from "./mod.ts";
 * const roots: RegistryRoots = { user: "/home/ada/.config/openshell", system: "/etc/openshell" };
 * const token = crypto.randomUUID();
 * await writeUserGatewayFile(roots, "openshell", "token", token);
 * ```
 */
export async function writeUserGatewayFile(
  roots: RegistryRoots,
  name: string,
  fileName: string,
  data: string | Uint8Array,
): Promise<string> {
  validateGatewayName(fileName);
  if (fileName === "metadata.json") {
    throw new TypeError("metadata.json is written by addUserGateway only");
  }
  const dir = await ensureUserGatewayDir(roots, name);
  const path = join(dir, fileName);
  await atomicWriteFile(path, data, { mode: SECRET_FILE_MODE });
  return path;
}

/**
 * Makes `name` the user's active gateway by writing the user `active_gateway` file
 * (atomically, without a trailing newline). The name must resolve to a user or system entry.
 *
 * @throws {UserError} for an invalid or unknown name, or a registration that cannot be read.
 * @example
 * ```ts
 * import { type RegistryRoots } from "../registry/mod.ts";
 * import { selectGateway } from "./mod.ts";
 * const roots: RegistryRoots = { user: "/home/ada/.config/openshell", system: "/etc/openshell" };
 * await selectGateway(roots, "corp");
 * ```
 */
export async function selectGateway(roots: RegistryRoots, name: string): Promise<ResolvedGateway> {
  const resolved = await readGatewayMetadata(roots, name);
  await ensureUserDir(roots.user);
  const path = activeFilePath(roots.user);
  await atomicWriteFile(path, name, { mode: 0o644 }).catch((error) => {
    throw fileError("Cannot write", path, error);
  });
  return resolved;
}

/** mTLS material to copy into `gateways/<name>/mtls/` of the user root. */
export interface MtlsFiles {
  /** CA certificate, stored as `ca.crt`. */
  ca: string;
  /** Client certificate, stored as `tls.crt`. */
  cert: string;
  /** Client key, stored as `tls.key` (0600). */
  key: string;
}

/** Options for {@linkcode addUserGateway}. */
export interface AddUserGatewayOptions {
  /**
   * Whether to make the new gateway active: `always`, only when no user or system
   * `active_gateway` names a gateway (`if-none`), or `never` (the default).
   */
  activate?: "always" | "if-none" | "never";
  /** Files to copy into the user `mtls/` directory of the gateway. */
  mtls?: MtlsFiles;
  /**
   * Replace a user entry of that name (its certificates with `mtls`); the entry is then no
   * longer one `serve` made.
   */
  replace?: boolean;
}

/**
 * Registers a gateway in the user registry. A system entry of the same name may exist (the
 * user entry then hides it); a user entry may not. The metadata file appears atomically and
 * exclusively, so two processes adding the same name cannot both succeed.
 *
 * @returns whether the gateway was made active.
 * @throws {UserError} `Gateway '<name>' already exists.` for an existing user entry.
 * @example
 * ```ts
 * import { type RegistryRoots } from "../registry/mod.ts";
 * import { addUserGateway } from "./mod.ts";
 * const roots: RegistryRoots = { user: "/home/ada/.config/openshell", system: "/etc/openshell" };
 * await addUserGateway(roots, {
 *   name: "openshell",
 *   gateway_endpoint: "http://127.0.0.1:8080",
 *   is_remote: false,
 *   gateway_port: 8080,
 *   auth_mode: "plaintext",
 * }, { activate: "if-none" });
 * ```
 */
export async function addUserGateway(
  roots: RegistryRoots,
  metadata: GatewayMetadata,
  options: AddUserGatewayOptions = {},
): Promise<{ activated: boolean; metadataPath: string; replaced: boolean }> {
  const checked = await checkGatewayMetadata(metadata);
  const name = checked.name;
  const path = metadataFilePath(roots.user, name);
  const replaced = (await readMetadataFile(path)).kind !== "missing";
  if (replaced && !options.replace) throw alreadyExists(name);
  const dir = await ensureUserGatewayDir(roots, name);

  let staged: string | undefined;
  try {
    staged = options.mtls ? await stageMtls(dir, options.mtls) : undefined;
    if (replaced) {
      await atomicWriteFile(path, serializeGatewayMetadata(checked), { mode: 0o644 });
    } else await createExclusive(path, serializeGatewayMetadata(checked), name);
    if (staged) {
      const target = gatewayMtlsDir(roots, name);
      await Deno.remove(target, { recursive: true }).catch((error) => {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      });
      await Deno.rename(staged, target);
    }
    // Last: a replacement that failed above is still the registration serve made.
    if (replaced) await Deno.remove(join(dir, SERVE_MARKER_FILE)).catch(() => {});
  } catch (error) {
    // Leave nothing behind: an empty directory is removed, a non-empty one is not ours.
    if (!replaced) await Deno.remove(dir).catch(() => {});
    throw error;
  } finally {
    if (staged) await Deno.remove(staged, { recursive: true }).catch(() => {});
  }

  const activate = options.activate ?? "never";
  let activated = false;
  if (
    activate === "always" ||
    (activate === "if-none" && !anyActiveFile(roots))
  ) {
    await selectGateway(roots, name);
    activated = true;
  }
  return { activated, metadataPath: path, replaced };
}

/**
 * Removes a user registration: its `metadata.json` and `mtls/`, and its whole directory when
 * no system entry of that name needs the per-user state kept there. Clears the user
 * `active_gateway` when it named the gateway. A user entry that hid a system entry uncovers it.
 *
 * @throws {UserError} for a system-only entry (`... installed by the system and cannot be
 * removed from user config`) or an unknown name.
 * @example
 * ```ts
 * import { type RegistryRoots } from "../registry/mod.ts";
 * import { removeUserGateway } from "./mod.ts";
 * const roots: RegistryRoots = { user: "/home/ada/.config/openshell", system: "/etc/openshell" };
 * await removeUserGateway(roots, "corp");
 * ```
 */
export async function removeUserGateway(
  roots: RegistryRoots,
  name: string,
): Promise<{ clearedActive: boolean; uncovered: string | undefined }> {
  const dir = gatewayDirPath(roots.user, name);
  const path = metadataFilePath(roots.user, name);
  const systemPath = metadataFilePath(roots.system, name);
  const systemRead = await readMetadataFile(systemPath);
  await refuseUnlessDirectory(gatewaysDirPath(roots.user));
  // A linked entry is removed as a link: what it points to is not the user's to delete.
  const linked = await Deno.lstat(dir).then((info) => info.isSymlink, () => false);
  const removed = linked
    ? (await readMetadataFile(path)).kind !== "missing" && await removeOrFail(dir)
    : await removeOrFail(path);
  if (!removed) {
    if (systemRead.kind !== "missing") {
      throw new UserError(
        `Gateway '${name}' is installed by the system and cannot be removed from user config`,
        { hint: `It is registered in "${systemPath}"; ask the administrator to remove it` },
      );
    }
    throw new UserError(`Gateway '${name}' not found: no user registration at "${path}"`, {
      hint: `Run \`${programCommand("gateway", "list")}\` to see registered gateways`,
    });
  }
  if (!linked) {
    // Per-user state (a token) stays while a system entry of the name still needs it.
    const leftover = systemRead.kind === "missing" ? dir : gatewayMtlsDir(roots, name);
    await Deno.remove(leftover, { recursive: true }).catch(() => {});
  }
  let clearedActive = false;
  const activePath = activeFilePath(roots.user);
  if (readActiveFile(activePath, () => {}) === name) {
    await Deno.remove(activePath).catch(() => {});
    clearedActive = true;
  }
  return { clearedActive, uncovered: systemRead.kind === "missing" ? undefined : systemPath };
}

/** Removes `path` (a symlink itself, not what it points to); false when it does not exist. */
async function removeOrFail(path: string): Promise<boolean> {
  try {
    await Deno.remove(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
      return false;
    }
    throw fileError("Cannot remove", path, error);
  }
}

function alreadyExists(name: string): UserError {
  return new UserError(`Gateway '${name}' already exists.`, {
    hint: `Give --replace to replace it, remove it first with \`${
      programCommand("gateway", "remove", name)
    }\`, or choose another --name`,
  });
}

function anyActiveFile(roots: RegistryRoots): boolean {
  return readActiveFile(activeFilePath(roots.user), () => {}) !== undefined ||
    readActiveFile(activeFilePath(roots.system), () => {}) !== undefined;
}

/** Writes `text` to `path` only if `path` does not exist yet: temp + fsync + hard link. */
async function createExclusive(path: string, text: string, name: string): Promise<void> {
  const temp = tempPath(dirname(path), basename(path));
  try {
    await atomicWriteFile(temp, text, { mode: 0o644 });
    await Deno.link(temp, path);
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) throw alreadyExists(name);
    throw fileError("Cannot write", path, error);
  } finally {
    await Deno.remove(temp).catch(() => {});
  }
}

async function stageMtls(dir: string, files: MtlsFiles): Promise<string> {
  const staged = tempPath(dir, "mtls");
  const targets = mtlsFilePaths(staged);
  await Deno.mkdir(staged, { mode: PRIVATE_DIR_MODE });
  try {
    for (const key of ["ca", "cert", "key"] as const) {
      const target = targets[key];
      let bytes: Uint8Array;
      try {
        // Bounded and regular files only: a named pipe given as --ca must not hang the add.
        bytes = await readRegularFile(files[key], REGISTRY_FILE_MAX_BYTES);
      } catch (error) {
        throw fileError(`Cannot copy --${key} file`, files[key], error);
      }
      await Deno.writeFile(target, bytes, { createNew: true, mode: 0o600 });
      await Deno.chmod(target, key === "key" ? SECRET_FILE_MODE : 0o644);
      const file = await Deno.open(target, { read: true });
      try {
        await file.sync();
      } finally {
        file.close();
      }
    }
    return staged;
  } catch (error) {
    await Deno.remove(staged, { recursive: true }).catch(() => {});
    throw error;
  }
}
