/**
 * Seeding a system registry: what installers and packages write into a system root they name
 * explicitly (`gateways/<name>/metadata.json`, `active_gateway`), never into the user's own
 * registry. Planning is pure (the files found in, the files to write out); the effects read
 * what is there, refuse a conflict, create directories 0755 and write files 0644 atomically.
 *
 * @module
 */
import { fillIn, programCommand } from "../errors/mod.ts";
import { dirname, isAbsolute, join, normalize, relative } from "../path/mod.ts";
import { atomicWriteFile } from "../files/mod.ts";
import { readRegularTextFile, REGISTRY_FILE_MAX_BYTES } from "../bounded_read/mod.ts";
import { fileError, quoted, UsageError, UserError } from "../errors/mod.ts";
import { activeFilePath, metadataFilePath, readMetadataFile } from "../registry/mod.ts";
import { type SeedEndpoint, seedEndpoint } from "./_seed_endpoint.ts";
import {
  checkGatewayMetadata,
  type GatewayMetadata,
  serializeGatewayMetadata,
} from "../registry/mod.ts";
import { validateGatewayName } from "../registry/mod.ts";

/** What writing one file does: creates it, leaves it as it is, or replaces other content. */
export type SeedAction = "create" | "unchanged" | "replace";

/** One file of a seeding plan and what writing it does. */
export interface SeedWrite {
  path: string;
  text: string;
  action: SeedAction;
}

/** `system add NAME ENDPOINT`: a gateway to register in the system root `systemDir`. */
export interface SystemAddRequest {
  name: string;
  endpoint: string;
  systemDir: string;
  /** Also make it the system's active gateway. */
  activate: boolean;
  /** Overwrite a registration of that name with other content (else refused). */
  replace: boolean;
}

/** `system select NAME`: the system's active gateway, in the system root `systemDir`. */
export interface SystemSelectRequest {
  name: string;
  systemDir: string;
}

/** The files a plan depends on, as found: their text, `undefined` when absent. */
export interface SeedFound {
  metadata: string | undefined;
  active: string | undefined;
}

/** What `system add` writes. */
export interface SystemAddPlan {
  name: string;
  systemDir: string;
  metadata: GatewayMetadata;
  registration: SeedWrite;
  /** Present with `activate`. */
  activation: SeedWrite | undefined;
}

/** What `system select` writes. */
export interface SystemSelectPlan {
  name: string;
  systemDir: string;
  activation: SeedWrite;
}

/** Mode of seeded files: everyone reads the system registry. */
const SEED_FILE_MODE = 0o644;
/** Mode of the directories seeding creates. */
const SEED_DIR_MODE = 0o755;
const ENDPOINT_HINT =
  "Use scheme://host[:port] without a path, such as https://gateway.example.com:8443 or http://127.0.0.1:8080";

/**
 * The metadata a seeded system gateway gets: the endpoint's origin, its port, `is_remote`
 * false for loopback hosts, `auth_mode` `plaintext` for `http://` and `mtls` otherwise.
 *
 * @throws {UsageError} for an invalid name or endpoint (exit 2).
 * @example
 * ```ts
 * seedMetadata("local", "http://127.0.0.1:8080");
 * // { name: "local", gateway_endpoint: "http://127.0.0.1:8080", is_remote: false, gateway_port: 8080, auth_mode: "plaintext" }
 * ```
 */
export function seedMetadata(name: string, endpoint: string): GatewayMetadata {
  seedName(name);
  const decided: SeedEndpoint | string = seedEndpoint(endpoint);
  if (typeof decided === "string") {
    throw new UsageError(
      `invalid endpoint for gateway '${quoted(name)}': '${quoted(endpoint)}': ${decided}`,
      { hint: ENDPOINT_HINT },
    );
  }
  return {
    name,
    gateway_endpoint: decided.origin,
    is_remote: decided.remote,
    gateway_port: decided.port,
    auth_mode: decided.plaintext ? "plaintext" : "mtls",
  };
}

/**
 * Checks the system root a seeding command was given: absolute, not `/`, and neither the
 * user registry nor inside it (each of `userRegistries` is one spelling of it: as derived,
 * and with links resolved). Returns it normalised, without a trailing `/`.
 *
 * @throws {UsageError} naming what is wrong (exit 2).
 * @example
 * ```ts
 * checkSystemDir("/etc/openshell/", ["/home/a/.config/openshell"]); // "/etc/openshell"
 * checkSystemDir("/home/a/.config/openshell", ["/home/a/.config/openshell"]); // throws
 * ```
 */
export function checkSystemDir(systemDir: string, userRegistries: readonly string[]): string {
  if (!isAbsolute(systemDir)) {
    throw new UsageError(
      `the system gateway directory must be an absolute path: '${quoted(systemDir)}'`,
      { hint: "Pass --system-dir with a path starting with /, such as /etc/openshell" },
    );
  }
  const dir = withoutTrailingSlash(normalize(systemDir));
  if (dir === "/") {
    throw new UsageError("the system gateway directory cannot be /", {
      hint: "Use a directory of its own, such as /etc/openshell",
    });
  }
  for (const user of userRegistries) {
    const inside = relative(withoutTrailingSlash(normalize(user)), dir);
    if (inside === "" || (!inside.startsWith("..") && !isAbsolute(inside))) {
      throw new UsageError(
        `refusing to seed system gateways into the user registry "${user}"`,
        {
          hint: "--system-dir names a system registry such as /etc/openshell; " +
            `register your own gateways with \`${
              programCommand("gateway", "add", fillIn("<endpoint>"))
            }\``,
        },
      );
    }
  }
  return dir;
}

/**
 * Plans `system add`: the metadata file (created, unchanged or, with `replace`, replaced)
 * and, with `activate`, the `active_gateway` file.
 *
 * @throws {UsageError} for an invalid name or endpoint.
 * @throws {UserError} for a registration of that name with other content, without `replace`.
 * @example
 * ```ts
 * const plan = await planSystemAdd(
 *   { name: "corp", endpoint: "gw.example.com", systemDir: "/etc/openshell", activate: true, replace: false },
 *   { metadata: undefined, active: undefined },
 * );
 * plan.registration.action; // "create"
 * ```
 */
export async function planSystemAdd(
  request: SystemAddRequest,
  found: SeedFound,
): Promise<SystemAddPlan> {
  // The same check (and serialisation) `gateway add` applies to what it writes.
  const metadata = await checkGatewayMetadata(seedMetadata(request.name, request.endpoint));
  const path = metadataFilePath(request.systemDir, request.name);
  const registration = seedWrite(path, serializeGatewayMetadata(metadata), found.metadata);
  if (registration.action === "replace" && !request.replace) {
    throw new UserError(
      `System gateway '${
        quoted(request.name)
      }' is already registered in "${path}" with other content`,
      { hint: "Pass --replace to overwrite it, or seed the gateway under another name" },
    );
  }
  const activation = request.activate
    ? seedWrite(activeFilePath(request.systemDir), request.name, found.active)
    : undefined;
  return { name: request.name, systemDir: request.systemDir, metadata, registration, activation };
}

/**
 * Plans `system select`: the `active_gateway` file naming a gateway registered there.
 *
 * @throws {UsageError} for an invalid name.
 * @throws {UserError} when the system root has no registration of that name.
 * @example
 * ```ts
 * planSystemSelect({ name: "corp", systemDir: "/etc/openshell" }, true, "old").activation.action; // "replace"
 * ```
 */
export function planSystemSelect(
  request: SystemSelectRequest,
  registered: boolean,
  active: string | undefined,
): SystemSelectPlan {
  seedName(request.name);
  if (!registered) {
    throw new UserError(
      `Gateway '${
        quoted(request.name)
      }' is not registered in the system registry "${request.systemDir}"`,
      {
        hint: `Seed it first: \`${
          programCommand(
            "system",
            "add",
            request.name,
            fillIn("<endpoint>"),
            "--system-dir",
            request.systemDir,
          )
        }\``,
      },
    );
  }
  const activation = seedWrite(activeFilePath(request.systemDir), request.name, active);
  return { name: request.name, systemDir: request.systemDir, activation };
}

/** Options of the seeding effects. */
export interface SeedOptions {
  /** The user registry (`$XDG_CONFIG_HOME/openshell`), refused as system root; none known. */
  userRegistry: string | undefined;
  /** Plan only: read what is there, write nothing. */
  dryRun: boolean;
}

/**
 * `system add`: registers a gateway in the system root `request.systemDir` (and, with
 * `activate`, makes it active there), creating missing directories 0755 and writing files
 * 0644 atomically. Nothing is written when anything is refused.
 *
 * @throws {UsageError} for an invalid name, endpoint or system root.
 * @throws {UserError} for a conflicting registration, or a file that cannot be read or written.
 * @example
 * ```ts
 * await addSystemGateway(
 *   { name: "corp", endpoint: "https://gw.example.com", systemDir: "/etc/openshell", activate: true, replace: false },
 *   { userRegistry: "/root/.config/openshell", dryRun: false },
 * );
 * ```
 */
export async function addSystemGateway(
  request: SystemAddRequest,
  options: SeedOptions,
): Promise<SystemAddPlan> {
  seedMetadata(request.name, request.endpoint); // arguments first, then the disk
  const systemDir = await checkedSystemDir(request.systemDir, options.userRegistry);
  const checked = { ...request, systemDir };
  const plan = await planSystemAdd(checked, {
    metadata: await readIfPresent(metadataFilePath(systemDir, checked.name)),
    active: checked.activate ? await readIfPresent(activeFilePath(systemDir)) : undefined,
  });
  if (!options.dryRun) {
    await applyWrite(plan.registration);
    if (plan.activation) await applyWrite(plan.activation);
  }
  return plan;
}

/**
 * `system select`: makes a gateway registered in the system root `request.systemDir` the
 * system's active gateway there, written 0644 atomically.
 *
 * @throws {UsageError} for an invalid name or system root.
 * @throws {UserError} when the gateway is not registered there, or for a file error.
 * @example
 * ```ts
 * await selectSystemGateway({ name: "openshell", systemDir: "/etc/openshell" }, { userRegistry: undefined, dryRun: false });
 * ```
 */
export async function selectSystemGateway(
  request: SystemSelectRequest,
  options: SeedOptions,
): Promise<SystemSelectPlan> {
  seedName(request.name);
  const systemDir = await checkedSystemDir(request.systemDir, options.userRegistry);
  const read = await readMetadataFile(metadataFilePath(systemDir, request.name));
  if (read.kind === "error") throw read.error;
  const plan = planSystemSelect(
    { ...request, systemDir },
    read.kind === "ok",
    await readIfPresent(activeFilePath(systemDir)),
  );
  if (!options.dryRun) await applyWrite(plan.activation);
  return plan;
}

/** A gateway name given to a seeding command: invalid is a usage error. */
function seedName(name: string): string {
  try {
    return validateGatewayName(name);
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    throw new UsageError(error.message, error.hint === undefined ? {} : { hint: error.hint });
  }
}

function seedWrite(path: string, text: string, found: string | undefined): SeedWrite {
  const action = found === undefined ? "create" : found === text ? "unchanged" : "replace";
  return { path, text, action };
}

function withoutTrailingSlash(path: string): string {
  return path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
}

/** {@linkcode checkSystemDir} on the directory as given and with its links resolved. */
async function checkedSystemDir(
  systemDir: string,
  userRegistry: string | undefined,
): Promise<string> {
  const users = userRegistry === undefined ? [] : [userRegistry, await resolvedPath(userRegistry)];
  const dir = checkSystemDir(systemDir, users);
  checkSystemDir(await resolvedPath(dir), users);
  return dir;
}

/** `path` with the links of its longest existing ancestor resolved. */
async function resolvedPath(path: string): Promise<string> {
  const missing: string[] = [];
  let probe = path;
  for (;;) {
    try {
      return join(await Deno.realPath(probe), ...missing.reverse());
    } catch {
      const parent = dirname(probe);
      if (parent === probe) return path;
      missing.push(probe.slice(parent === "/" ? 1 : parent.length + 1));
      probe = parent;
    }
  }
}

async function readIfPresent(path: string): Promise<string | undefined> {
  try {
    return await readRegularTextFile(path, REGISTRY_FILE_MAX_BYTES);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
      return undefined;
    }
    throw fileError("Cannot read", path, error);
  }
}

async function applyWrite(write: SeedWrite): Promise<void> {
  if (write.action === "unchanged") return;
  await ensureSeedDir(dirname(write.path));
  await atomicWriteFile(write.path, write.text, { mode: SEED_FILE_MODE });
}

/** Creates `dir` and its missing parents 0755 (whatever the umask): a system root is public. */
async function ensureSeedDir(dir: string): Promise<void> {
  const parent = dirname(dir);
  if (parent !== dir && !(await isDirectory(parent))) await ensureSeedDir(parent);
  try {
    await Deno.mkdir(dir, { mode: SEED_DIR_MODE });
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) return;
    throw fileError("Cannot create directory", dir, error);
  }
  await Deno.chmod(dir, SEED_DIR_MODE).catch((error) => {
    throw fileError("Cannot set the mode of", dir, error);
  });
}

async function isDirectory(path: string): Promise<boolean> {
  return await Deno.stat(path).then((info) => info.isDirectory, () => false);
}
