import { fillIn, programCommand } from "../errors/mod.ts";
import { UserError } from "../errors/mod.ts";
import { atomicWriteFile } from "../files/mod.ts";
import { readRegularTextFile, REGISTRY_FILE_MAX_BYTES } from "../bounded_read/mod.ts";
import {
  activeFilePath,
  gatewayDirPath,
  metadataFilePath,
  readMetadataFile,
} from "../registry/mod.ts";
import { fileError } from "../errors/mod.ts";
import { readActiveFile } from "../registry/mod.ts";
import type { RegistryRoots } from "../registry/mod.ts";

/**
 * Renames a user registration and the per-user files beside it (mTLS material, token): its
 * directory moves to the new name and `metadata.json` gets the new `name`, other fields
 * kept as they were. The user `active_gateway` follows when it named the old name. A system
 * entry of the old name is listed again; one of the new name is hidden.
 *
 * @returns whether the active gateway followed, and the system entry uncovered, if any.
 * @throws {UserError} when the old name is not a user entry (a system-only one cannot be
 * renamed), or the new name already has a user entry or per-user files.
 * @example
 * ```ts
 * import { type RegistryRoots } from "../registry/mod.ts";
 * import { renameUserGateway } from "./mod.ts";
 * const roots: RegistryRoots = { user: "/home/ada/.config/openshell", system: "/etc/openshell" };
 * await renameUserGateway(roots, "openshell", "laptop");
 * ```
 */
export async function renameUserGateway(
  roots: RegistryRoots,
  from: string,
  to: string,
): Promise<{ movedActive: boolean; uncovered: string | undefined }> {
  const fromDir = gatewayDirPath(roots.user, from);
  const toDir = gatewayDirPath(roots.user, to);
  const fromPath = metadataFilePath(roots.user, from);
  const systemPath = metadataFilePath(roots.system, from);
  const read = await readMetadataFile(fromPath);
  if (read.kind === "error") throw read.error;
  if (read.kind === "missing") {
    if ((await readMetadataFile(systemPath)).kind !== "missing") {
      throw new UserError(
        `Gateway '${from}' is installed by the system and cannot be renamed in user config`,
        {
          hint: `Add your own entry instead: \`${
            programCommand("gateway", "add", fillIn("<endpoint>"), "--name", to)
          }\``,
        },
      );
    }
    throw new UserError(`Gateway '${from}' not found: no user registration at "${fromPath}"`, {
      hint: `Run \`${programCommand("gateway", "list")}\` to see registered gateways`,
    });
  }
  if (from === to) return { movedActive: false, uncovered: undefined };
  if ((await readMetadataFile(metadataFilePath(roots.user, to))).kind !== "missing") {
    throw new UserError(`Gateway '${to}' already exists.`, {
      hint: `Remove it first with \`${
        programCommand("gateway", "remove", to)
      }\`, or choose another name`,
    });
  }
  const text = await readRegularTextFile(fromPath, REGISTRY_FILE_MAX_BYTES);
  const renamed = JSON.stringify({ ...JSON.parse(text), name: to }, null, 2);
  try {
    // rename(2) replaces only an empty directory: per-user files of `to` are never lost.
    await Deno.rename(fromDir, toDir);
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists || /not empty/i.test(String(error))) {
      throw new UserError(`Gateway '${to}' already has per-user files in "${toDir}"`, {
        hint: "Choose another name, or remove that directory if its files are not needed",
      });
    }
    throw fileError("Cannot rename", fromDir, error);
  }
  const toPath = metadataFilePath(roots.user, to);
  await atomicWriteFile(toPath, renamed, { mode: 0o644 }).catch((error) => {
    throw fileError("Cannot write", toPath, error);
  });
  const activePath = activeFilePath(roots.user);
  let movedActive = false;
  if (readActiveFile(activePath, () => {}) === from) {
    await atomicWriteFile(activePath, to, { mode: 0o644 }).catch((error) => {
      throw fileError("Cannot write", activePath, error);
    });
    movedActive = true;
  }
  const uncovered = (await readMetadataFile(systemPath)).kind === "missing"
    ? undefined
    : systemPath;
  return { movedActive, uncovered };
}
