import { programCommand } from "../errors/mod.ts";
import { UserError } from "../errors/mod.ts";
import { metadataFilePath, readMetadataFile } from "./layout.ts";
import type { GatewayMetadata, GatewaySource } from "./gateway_metadata.ts";
import type { RegistryRoots } from "./registry_roots.ts";

/** One registration found by name. */
export interface ResolvedGateway {
  readonly name: string;
  readonly source: GatewaySource;
  readonly metadataPath: string;
  readonly metadata: GatewayMetadata;
  /** For a user entry, the system metadata file it hides, if any. */
  readonly shadows: string | undefined;
}

/**
 * Finds the registration for `name`: the user metadata file when it exists (even if it then
 * fails to parse), else the system one.
 *
 * @throws {UserError} for an invalid name, an unreadable or unparsable file, or when neither
 * file exists (the message names both paths searched).
 * @example
 * ```ts
 * import { readGatewayMetadata, type RegistryRoots } from "./mod.ts";
 * const roots: RegistryRoots = { user: "/home/ada/.config/openshell", system: "/etc/openshell" };
 * const { metadata, source } = await readGatewayMetadata(roots, "corp");
 * ```
 */
export function readGatewayMetadata(roots: RegistryRoots, name: string): Promise<ResolvedGateway> {
  return Promise.resolve().then(async () => {
    const userPath = metadataFilePath(roots.user, name);
    const systemPath = metadataFilePath(roots.system, name);
    const user = await readMetadataFile(userPath);
    if (user.kind === "error") throw user.error;
    if (user.kind === "ok") {
      const system = await readMetadataFile(systemPath);
      const shadows = system.kind === "missing" ? undefined : systemPath;
      return { name, source: "user", metadataPath: userPath, metadata: user.metadata, shadows };
    }
    const system = await readMetadataFile(systemPath);
    if (system.kind === "error") throw system.error;
    if (system.kind === "ok") {
      return {
        name,
        source: "system",
        metadataPath: systemPath,
        metadata: system.metadata,
        shadows: undefined,
      };
    }
    throw new UserError(`Gateway '${name}' not found: searched "${userPath}" and "${systemPath}"`, {
      hint: `Run \`${programCommand("gateway", "list")}\` to see registered gateways`,
    });
  });
}
