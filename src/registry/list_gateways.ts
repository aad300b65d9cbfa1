/**
 * Reading the registry, user over system: the merged listing and the rows `gateway list -o
 * json` prints of it, and one registration found by name.
 *
 * @module
 */
import { fileError, programCommand, UserError } from "../errors/mod.ts";
import {
  gatewaysDirPath,
  METADATA_FILE,
  metadataFilePath,
  type MetadataRead,
  readMetadataFile,
  readMetadataFileNow,
} from "./layout.ts";
import {
  gatewayAuth,
  type GatewayMetadata,
  type GatewaySource,
  gatewayType,
} from "./gateway_metadata.ts";
import type { RegistryRoots } from "./registry_roots.ts";

/** One registration in a listing. */
export interface GatewayEntry {
  /** The gateway name, from the JSON `name` field. */
  readonly name: string;
  readonly source: GatewaySource;
  /** The metadata file the entry was read from. */
  readonly metadataPath: string;
  readonly metadata: GatewayMetadata;
  /** True only for system entries hidden by a user entry (listed with `all`). */
  readonly shadowed: boolean;
  /**
   * For a user entry, the system metadata file it hides; for a shadowed system entry, the
   * user metadata file that hides it. Otherwise undefined.
   */
  readonly shadows: string | undefined;
}

/** A registration that exists but cannot be read or parsed. */
export interface GatewayProblem {
  /** The directory name under `gateways/`. */
  readonly name: string;
  readonly source: GatewaySource;
  /** The metadata file at fault. */
  readonly path: string;
  /** A one-line description naming the file and, where it applies, the field. */
  readonly message: string;
}

/** The merged registry. */
export interface GatewayListing {
  /** Sorted by name in code-point order (shadowed rows right after the row hiding them). */
  readonly entries: GatewayEntry[];
  /** Entries left out because their metadata is unusable, sorted like `entries`. */
  readonly problems: GatewayProblem[];
}

/** Options for {@linkcode listGateways}. */
export interface ListGatewaysOptions {
  /** Also list system entries hidden by user entries, with `shadowed: true`. */
  all?: boolean;
}

interface Scanned {
  dir: string;
  path: string;
  read: MetadataRead;
}

/**
 * Lists the registry, user over system.
 *
 * A user directory with a `metadata.json` hides the system entry of the same directory name,
 * even when the file cannot be parsed (it is then reported in `problems`); a user directory
 * without one (per-user state for a system gateway, or what a removal leaves) hides nothing.
 * A missing root or `gateways` directory simply has no entries.
 *
 * @throws {UserError} when a `gateways` directory exists but cannot be read.
 * @example
 * ```ts
 * import { listGateways, type RegistryRoots } from "./mod.ts";
 * const roots: RegistryRoots = { user: "/home/ada/.config/openshell", system: "/etc/openshell" };
 * const { entries } = await listGateways(roots);
 * for (const e of entries) console.log(e.name, e.source);
 * ```
 */
export function listGateways(
  roots: RegistryRoots,
  options: ListGatewaysOptions = {},
): Promise<GatewayListing> {
  return Promise.resolve().then(() => listGatewaysNow(roots, options));
}

async function listGatewaysNow(
  roots: RegistryRoots,
  options: ListGatewaysOptions,
): Promise<GatewayListing> {
  const user = await scanRoot(roots.user);
  const system = await scanRoot(roots.system);
  const userByDir = new Map<string, Scanned>();
  for (const scanned of user) userByDir.set(scanned.dir, scanned);

  const entries: GatewayEntry[] = [];
  const problems: GatewayProblem[] = [];
  const systemPathByDir = new Map<string, string>();
  for (const scanned of system) {
    const hiddenBy = userByDir.get(scanned.dir);
    if (scanned.read.kind === "ok") systemPathByDir.set(scanned.dir, scanned.path);
    if (hiddenBy !== undefined && !options.all) continue;
    collect(scanned, "system", hiddenBy?.path, hiddenBy !== undefined, entries, problems);
  }
  for (const scanned of user) {
    collect(scanned, "user", systemPathByDir.get(scanned.dir), false, entries, problems);
  }
  // Code-unit order equals code-point order unless a name holds U+D800..U+FFFF.
  const compareNames = entries.some((e) => BEYOND_SURROGATES.test(e.name))
    ? compareText
    : compareUnits;
  entries.sort((a, b) =>
    compareNames(a.name, b.name) || Number(a.shadowed) - Number(b.shadowed) ||
    compareSource(a.source, b.source)
  );
  problems.sort((a, b) => compareText(a.name, b.name) || compareSource(a.source, b.source));
  return { entries, problems };
}

function collect(
  scanned: Scanned,
  source: GatewaySource,
  other: string | undefined,
  shadowed: boolean,
  entries: GatewayEntry[],
  problems: GatewayProblem[],
): void {
  const { read } = scanned;
  if (read.kind === "ok") {
    entries.push({
      name: read.metadata.name,
      source,
      metadataPath: scanned.path,
      metadata: read.metadata,
      shadowed,
      shadows: other,
    });
  } else if (read.kind === "error") {
    if (shadowed) return; // the user problem hiding it is what matters
    problems.push({ name: scanned.dir, source, path: scanned.path, message: read.error.message });
  }
}

/**
 * Directories under `<root>/gateways` that hold a metadata file (present even if broken), in
 * code-unit order of their names. Each file is read as it stands: a look, then one read into
 * a shared buffer (see `readMetadataFileNow`), nothing else per directory.
 */
async function scanRoot(root: string): Promise<Scanned[]> {
  const dir = gatewaysDirPath(root);
  const names: string[] = [];
  try {
    for (const entry of Deno.readDirSync(dir)) {
      if (entry.isDirectory || entry.isSymlink) names.push(entry.name);
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw listError(dir, error);
  }
  // Sorted natively here, the entries come nearly in order: their sort has little left to do.
  names.sort();
  const scanned: Scanned[] = [];
  for (const name of names) {
    const path = `${dir}/${name}/${METADATA_FILE}`; // dir is already normalised
    const now = readMetadataFileNow(path);
    const read = now.kind === "schema" ? await now.read : now;
    if (read.kind !== "missing") scanned.push({ dir: name, path, read });
  }
  return scanned;
}

function listError(dir: string, error: unknown): UserError {
  const base = fileError("Cannot read gateway directory", dir, error);
  return new UserError(base.message, {
    hint: "Check the permissions of the directory, or move it aside",
    cause: error,
  });
}

const BEYOND_SURROGATES = /[\ud800-\uffff]/;

function compareUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Code-point order, as Rust's `str` ordering (not JavaScript's UTF-16 code-unit order). */
export function compareText(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(i);
    if (ca !== cb) return codePointRank(ca) - codePointRank(cb);
  }
  return a.length - b.length;
}

// At the first differing code unit, a surrogate stands for a code point above U+FFFF.
function codePointRank(unit: number): number {
  if (unit >= 0xd800 && unit <= 0xdfff) return unit + 0x2000;
  return unit >= 0xe000 ? unit - 0x800 : unit;
}

function compareSource(a: GatewaySource, b: GatewaySource): number {
  return a === b ? 0 : a === "user" ? -1 : 1;
}

/**
 * One element of `gateway list -o json`, keys in upstream's (alphabetical) order, with
 * `served` added. `origin` and `shadowed` appear only when asked for (`--show-origin`, `--all`).
 */
export interface GatewayListRow {
  active: boolean;
  auth: string;
  endpoint: string;
  is_remote: boolean;
  name: string;
  origin?: string;
  remote_host: string | null;
  resolved_host: string | null;
  /** Served on this machine by `openshell serve` (an extra key; upstream has none). */
  served: boolean;
  shadowed?: boolean;
  source: "user" | "system";
  type: "cloud" | "remote" | "local";
}

/** Options for {@linkcode gatewayListRow}. */
export interface GatewayListRowOptions {
  /** The active gateway name, if any. */
  active?: string | undefined;
  /** Add `origin`: the metadata file path. */
  showOrigin?: boolean;
  /** Add `shadowed`. */
  all?: boolean;
  /** The names of the gateways served here. */
  served?: ReadonlySet<string>;
}

/**
 * The JSON row for one listing entry, as `gateway list -o json` prints it.
 *
 * @example
 * ```ts
 * import { gatewayListRow, listGateways, type RegistryRoots } from "./mod.ts";
 * const roots: RegistryRoots = { user: "/home/ada/.config/openshell", system: "/etc/openshell" };
 * const listing = await listGateways(roots);
 * JSON.stringify(listing.entries.map((e) => gatewayListRow(e, { active: "corp" })));
 * ```
 */
export function gatewayListRow(
  entry: GatewayEntry,
  options: GatewayListRowOptions = {},
): GatewayListRow {
  const { metadata } = entry;
  // Built in key order (upstream's alphabetical order), the optional keys set in their places:
  // a key at a time, which costs a row less than spreading a conditional object into it.
  const row: GatewayListRow = {
    active: !entry.shadowed && entry.name === options.active,
    auth: gatewayAuth(metadata),
    endpoint: metadata.gateway_endpoint,
    is_remote: metadata.is_remote,
    name: entry.name,
  } as GatewayListRow; // its other keys are set below, in order
  if (options.showOrigin) row.origin = entry.metadataPath;
  row.remote_host = metadata.remote_host ?? null;
  row.resolved_host = metadata.resolved_host ?? null;
  row.served = listedAsServed(entry, options.served);
  if (options.all) row.shadowed = entry.shadowed;
  row.source = entry.source;
  row.type = gatewayType(metadata);
  return row;
}

/**
 * Whether a listing entry is shown as served: `served` holds its name and it is not a system
 * entry hidden by a user one (that one is not what is served).
 */
export function listedAsServed(
  entry: GatewayEntry,
  served: ReadonlySet<string> | undefined,
): boolean {
  return !entry.shadowed && served !== undefined && served.has(entry.name);
}

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
