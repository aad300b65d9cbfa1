/**
 * The content-addressed cache of unpacked rootfs images:
 * `<cache>/rootfs/<sha256>/` holding `rootfs/` (the tree) and `manifest.json`. Entries are
 * unpacked into a fresh temp dir beside them and renamed into place, their files read-only
 * (write bits cleared, everything else kept, so a container running as another uid can
 * still traverse and read them) and their directories as the image has them, so the owner
 * can remove the cache with `rm -rf`.
 *
 * @module
 */
import { join } from "../path/mod.ts";
import { type EnvLookup, openshellDir } from "../host/mod.ts";
import { imageSource, loadManifest, readTarball } from "./embedded_image.ts";
import { cachedMode, formatManifest, type Manifest } from "./_manifest.ts";
import { removeTree } from "../files/mod.ts";
import { checkTarball, type ImageSource } from "./tarball_check.ts";
import { fileStamp, recordStamp, stampMatches } from "./_file_stamp.ts";
import { webSha256Hex } from "./_web_sha256.ts";

/** Options for {@linkcode ensureRootfs} and the other cache functions. */
export interface RootfsCacheOptions {
  env: EnvLookup;
  uid: number;
  /** Called with a human progress line before slow work. */
  onProgress?: (message: string) => void;
}

/** A ready rootfs: `path` is the tree to use as the OCI `root.path`. */
export interface RootfsEntry {
  path: string;
  digest: string;
}

const DIGEST = /^[0-9a-f]{64}$/;
/** Record of an entry: the stamp of the tarball last found to match (see `file_stamp.ts`). */
const STAMP_SUFFIX = ".verified";
/** Record of an entry: the stamps of its files when their contents last matched. */
const CONTENTS_SUFFIX = ".contents";
/** Record of an entry: the stamp of the program whose closure last resolved in it. */
const CLOSURE_SUFFIX = ".closure";
const TEMP_PREFIX = ".tmp-";
const TRASH_PREFIX = ".trash-";

/** The cache directory holding every rootfs entry. */
export function rootfsCacheDir(env: EnvLookup, uid: number): string {
  return join(openshellDir("cache", env, uid), "rootfs");
}

/**
 * Returns the unpacked, read-only cache entry of the embedded image. The tarball is
 * checked against its manifest's digest on every call (read and hashed, unless the record
 * beside the entry shows the file unchanged since it last matched: see `file_stamp.ts`);
 * the entry is unpacked first when absent or damaged (a file missing, or its type, size,
 * mode or content changed). Safe to call from several processes at once: each unpacks into
 * its own temp dir, the first rename wins and the others use its entry.
 *
 * @throws {UserError} when the image is missing, does not match its manifest, or holds an
 * entry extraction refuses.
 * @example
 * ```ts
 * import { effectiveUid, processEnv } from "../host/mod.ts";
 * import { ensureRootfs } from "./mod.ts";
 * const { path } = await ensureRootfs({ env: processEnv, uid: effectiveUid() });
 * ```
 */
export async function ensureRootfs(options: RootfsCacheOptions): Promise<RootfsEntry> {
  const source = imageSource(options.env);
  const manifest = await loadManifest(source);
  const digest = manifest.tarball.sha256;
  const cacheDir = rootfsCacheDir(options.env, options.uid);
  const entry = join(cacheDir, digest);
  const result = { path: join(entry, "rootfs"), digest };
  // The image is checked on every use, so a tampered image is refused even when cached:
  // hashed, unless its stamp shows it unchanged since it last matched.
  const records = recordDir(options.env, options.uid);
  const [checked, problem] = await Promise.all([
    checkImage(source, manifest, records),
    checkEntry(entry, manifest, records),
  ]);
  if (problem === undefined) return result;
  let tarball = checked;
  if (tarball === undefined) {
    // Unchanged since it matched, but needed now: read and check it for this unpack.
    tarball = await readTarball(source, manifest);
    await checkTarball(tarball, manifest, source);
  }

  await ensureDirectory(cacheDir);
  if (problem !== "absent") {
    // Another process may have rebuilt it meanwhile: never discard a good entry.
    if ((await checkEntry(entry, manifest, records)) === undefined) return result;
    options.onProgress?.(`Rebuilding damaged rootfs cache entry "${entry}": ${problem}`);
    await discard(cacheDir, entry);
  } else {
    options.onProgress?.(`Unpacking the gateway rootfs ${digest.slice(0, 12)} into "${entry}"`);
  }
  await removeStaleTemps(cacheDir);
  const temp = join(cacheDir, `${TEMP_PREFIX}${digest.slice(0, 12)}-${Deno.pid}-${randomTag()}`);
  await Deno.mkdir(temp, { mode: 0o700 });
  try {
    // Loaded only here: a ready entry needs none of the gzip and tar code.
    const { unpackImage } = await import("./_unpack_image.ts");
    await unpackImage(tarball, manifest, join(temp, "rootfs"), source, {
      digestChecked: true,
      readOnly: true,
    });
    // No fsync: the rename below is the commit point, and an entry is checked on every use.
    const manifestCopy = join(temp, "manifest.json");
    await Deno.writeTextFile(manifestCopy, formatManifest(manifest), { createNew: true });
    await Deno.chmod(manifestCopy, 0o444);
    await Deno.chmod(temp, 0o755);
    try {
      await Deno.rename(temp, entry);
    } catch (error) {
      // Another process renamed its complete entry into place first: use that one.
      if ((await checkEntry(entry, manifest)) !== undefined) throw error;
      await removeTree(temp);
    }
  } catch (error) {
    await removeTree(temp);
    throw error;
  }
  return result;
}

/**
 * Checks the tarball against the manifest: `undefined` when its stamp shows it unchanged
 * since it last matched, else its bytes after a full check (then recording the stamp).
 *
 * @throws {UserError} when it is missing or does not match.
 */
async function checkImage(
  source: ImageSource,
  manifest: Manifest,
  records: string,
): Promise<Uint8Array | undefined> {
  const recordName = `${manifest.tarball.sha256}${STAMP_SUFFIX}`;
  let before: Deno.FileInfo | undefined;
  try {
    before = Deno.statSync(source.tarball);
  } catch {
    // readTarball below says what is wrong
  }
  const stamp = before && fileStamp(source.tarball, before);
  if (stamp !== undefined && stampMatches(join(records, recordName), stamp)) return undefined;
  const bytes = await readTarball(source, manifest);
  await checkTarball(bytes, manifest, source);
  if (stamp !== undefined) {
    const after = Deno.statSync(source.tarball);
    if (fileStamp(source.tarball, after) === stamp) {
      recordStamp(records, recordName, stamp, after);
    }
  }
  return bytes;
}

/**
 * Where the records of matched tarballs are: beside the entries' directory, which holds
 * only entries.
 */
/**
 * {@linkcode verifyClosure} of `entrypoint` in an entry {@linkcode ensureRootfs} returned,
 * with its verdict kept: a pass is recorded with the program's stamp, and while the program
 * is unchanged the next check is that record (the entry itself is checked against its
 * manifest on every use, so its libraries are the ones that resolved).
 *
 * @example
 * ```ts
 * import { ensureRootfs, verifyEntryClosure } from "./mod.ts";
 * const options = { env: (name: string) => Deno.env.get(name), uid: Deno.uid() ?? 0 };
 * const entry = await ensureRootfs(options);
 * const { ok, missing } = await verifyEntryClosure(options, entry, Deno.execPath());
 * ```
 */
export async function verifyEntryClosure(
  options: RootfsCacheOptions,
  entry: RootfsEntry,
  entrypoint: string,
): Promise<{ ok: boolean; missing: string[] }> {
  const records = recordDir(options.env, options.uid);
  const recordName = `${entry.digest}${CLOSURE_SUFFIX}`;
  let info: Deno.FileInfo | undefined;
  try {
    info = Deno.statSync(entrypoint);
  } catch {
    // verifyClosure says what is wrong
  }
  const stamp = info && fileStamp(entrypoint, info);
  if (stamp !== undefined && stampMatches(join(records, recordName), stamp)) {
    return { ok: true, missing: [] };
  }
  // Loaded only here: a recorded pass needs none of the ELF reading.
  const { verifyClosure } = await import("./verify_closure.ts");
  const closure = await verifyClosure(entry.path, entrypoint);
  if (closure.ok && stamp !== undefined) recordStamp(records, recordName, stamp, info!);
  return closure;
}

function recordDir(env: EnvLookup, uid: number): string {
  return join(openshellDir("cache", env, uid), "rootfs-checks");
}

/**
 * Checks a cache entry against the manifest: every entry present with its type, size,
 * read-only mode and symlink target, then every file's content by its sha256. With
 * `records`, the hashing is skipped while the record there shows every file unchanged
 * since its contents last matched (any write, rename or metadata change moves a file's
 * change time: see `file_stamp.ts`).
 *
 * @returns `undefined` when intact, `"absent"`, or what is wrong.
 */
export async function checkEntry(
  entry: string,
  manifest: Manifest,
  records?: string,
): Promise<string | undefined> {
  const layout = checkEntryLayout(entry, manifest);
  if (typeof layout === "string") return layout;
  const recordName = `${manifest.tarball.sha256}${CONTENTS_SUFFIX}`;
  const stamps = layout.stamps;
  if (records && stamps !== undefined && stampMatches(join(records, recordName), stamps)) {
    return undefined;
  }
  const problem = await checkEntryContents(entry, manifest);
  if (problem !== undefined || !records || stamps === undefined) return problem;
  // Recorded only when nothing changed while it was hashed.
  const after = checkEntryLayout(entry, manifest);
  if (typeof after !== "string" && after.stamps === stamps) {
    recordStamp(records, recordName, stamps, layout.lastChange);
  }
  return undefined;
}

/**
 * Hashes every regular file of an entry and compares it with the manifest, which catches a
 * file changed in place with its size kept. The files are read and hashed concurrently
 * (the hashing runs off the main thread).
 *
 * @returns `undefined` when every file matches, else the first that does not.
 */
export async function checkEntryContents(
  entry: string,
  manifest: Manifest,
): Promise<string | undefined> {
  const root = join(entry, "rootfs");
  const problems = await Promise.all(
    manifest.files.map(async (file) => {
      if (file.type !== "file") return undefined;
      let digest: string;
      try {
        digest = await webSha256Hex(await Deno.readFile(join(root, file.path)));
      } catch (error) {
        return `"${file.path}" cannot be read: ${(error as Error).message}`;
      }
      return digest === file.sha256 ? undefined : `"${file.path}" does not match its sha256`;
    }),
  );
  return problems.find((problem) => problem !== undefined);
}

/** What the layout check learnt of an intact entry's files. */
interface EntryLayout {
  /** The stamps of its regular files, one line each; `undefined` when one has none. */
  stamps: string | undefined;
  /** The latest modification and change times among them. */
  lastChange: { mtime: Date; ctime: Date };
}

/**
 * The entry's layout against the manifest, without reading file contents.
 *
 * @returns what is wrong (`"absent"` for no entry), or the files' stamps.
 */
function checkEntryLayout(entry: string, manifest: Manifest): string | EntryLayout {
  const root = join(entry, "rootfs");
  try {
    const info = Deno.lstatSync(root);
    if (!info.isDirectory) return '"rootfs" is not a directory';
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
      return "absent";
    }
    throw error;
  }
  let stamps: string | undefined = "";
  const lastChange = { mtime: new Date(0), ctime: new Date(0) };
  // Synchronous stats: a few dozen of them cost well under a millisecond this way.
  for (const file of manifest.files) {
    const path = join(root, file.path);
    let info: Deno.FileInfo;
    try {
      info = Deno.lstatSync(path);
    } catch {
      return `"${file.path}" is missing`;
    }
    const kind = info.isFile
      ? "file"
      : info.isDirectory
      ? "directory"
      : info.isSymlink
      ? "symlink"
      : "other";
    if (kind !== file.type) return `"${file.path}" is a ${kind}, not a ${file.type}`;
    if (file.type === "symlink") {
      if (Deno.readLinkSync(path) !== file.target) return `"${file.path}" points elsewhere`;
      continue;
    }
    if (file.type === "file") {
      if (info.size !== file.size) return `"${file.path}" has ${info.size} bytes, not ${file.size}`;
      const stamp = fileStamp(file.path, info);
      stamps = stamp === undefined || stamps === undefined ? undefined : stamps + stamp;
      if (info.mtime && info.mtime > lastChange.mtime) lastChange.mtime = info.mtime;
      if (info.ctime && info.ctime > lastChange.ctime) lastChange.ctime = info.ctime;
    }
    const mode = (info.mode ?? 0) & 0o7777;
    if (mode !== cachedMode(file.type, file.mode)) {
      return `"${file.path}" has mode 0${mode.toString(8)}`;
    }
  }
  return strayEntry(root, manifest) ?? { stamps, lastChange };
}

/**
 * The first entry of the tree the image does not have (its directories are writable by
 * their owner, so an addition is found by this check rather than prevented).
 */
function strayEntry(root: string, manifest: Manifest): string | undefined {
  const children = new Map<string, Set<string>>([["", new Set()]]);
  for (const file of manifest.files) {
    if (file.type === "directory") children.set(file.path, children.get(file.path) ?? new Set());
    const slash = file.path.lastIndexOf("/");
    const parent = slash < 0 ? "" : file.path.slice(0, slash);
    children.set(parent, (children.get(parent) ?? new Set()).add(file.path.slice(slash + 1)));
  }
  for (const [dir, names] of children) {
    for (const entry of Deno.readDirSync(join(root, dir))) {
      if (!names.has(entry.name)) {
        return `"${dir === "" ? entry.name : `${dir}/${entry.name}`}" is not in the image`;
      }
    }
  }
  return undefined;
}

/** What `bundle inspect` reports. */
export interface RootfsInspection {
  digest: string;
  /** Bytes of the compressed tarball. */
  size: number;
  /** Entries in the image. */
  files: number;
  /** Bytes of file content once unpacked. */
  contentSize: number;
  tarball: string;
  manifest: string;
  cachePath: string;
  unpacked: boolean;
}

/** Describes the embedded image and its cache entry, touching nothing. */
export async function inspectRootfs(options: RootfsCacheOptions): Promise<RootfsInspection> {
  const source = imageSource(options.env);
  const manifest = await loadManifest(source);
  const entry = join(rootfsCacheDir(options.env, options.uid), manifest.tarball.sha256);
  return {
    digest: manifest.tarball.sha256,
    size: manifest.tarball.size,
    files: manifest.fileCount,
    contentSize: manifest.contentSize,
    tarball: source.tarball,
    manifest: source.manifest,
    cachePath: join(entry, "rootfs"),
    unpacked: (await checkEntry(entry, manifest)) === undefined,
  };
}

/**
 * Removes cache entries of other digests than the embedded image's (with `all`, every
 * entry), leftovers of interrupted unpacks whose process is gone, and discarded entries.
 *
 * @returns the removed paths.
 */
export async function gcRootfs(
  options: RootfsCacheOptions & { all?: boolean },
): Promise<string[]> {
  const manifest = await loadManifest(imageSource(options.env));
  const cacheDir = rootfsCacheDir(options.env, options.uid);
  const removed: string[] = [];
  let names: string[];
  try {
    names = (await Array.fromAsync(Deno.readDir(cacheDir))).map((entry) => entry.name).sort();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
  await dropRecords(options, options.all ? "" : manifest.tarball.sha256);
  for (const name of names) {
    const path = join(cacheDir, name);
    const stale = (DIGEST.test(name) && (options.all || name !== manifest.tarball.sha256)) ||
      ((name.startsWith(TEMP_PREFIX) || name.startsWith(TRASH_PREFIX)) &&
        !(await processAlive(tempOwner(name))));
    if (!stale) continue;
    await removeTree(path);
    removed.push(path);
  }
  return removed;
}

/** Removes the records of other digests (records, not entries: not listed). */
async function dropRecords(options: RootfsCacheOptions, digest: string): Promise<void> {
  const dir = recordDir(options.env, options.uid);
  const names = await Array.fromAsync(Deno.readDir(dir)).catch(() => []);
  for (const { name } of names) {
    if (digest === "" || !name.startsWith(`${digest}.`)) {
      await Deno.remove(join(dir, name)).catch(() => {});
    }
  }
}

/** Best effort: another process may be removing the same leftovers. */
async function removeStaleTemps(cacheDir: string): Promise<void> {
  for await (const item of Deno.readDir(cacheDir)) {
    const leftover = item.name.startsWith(TEMP_PREFIX) || item.name.startsWith(TRASH_PREFIX);
    const stale = leftover && !(await processAlive(tempOwner(item.name)));
    if (stale) await removeTree(join(cacheDir, item.name)).catch(() => {});
  }
}

/** Moves a damaged entry out of the way (atomically), then removes it. */
async function discard(cacheDir: string, entry: string): Promise<void> {
  const trash = join(cacheDir, `${TRASH_PREFIX}${Deno.pid}-${randomTag()}`);
  try {
    await Deno.rename(entry, trash);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw error;
  }
  await removeTree(trash);
}

/** The pid in `.tmp-<digest>-<pid>-<tag>` or `.trash-<pid>-<tag>`. */
function tempOwner(name: string): number | undefined {
  const parts = name.split("-");
  const pid = Number(name.startsWith(TRASH_PREFIX) ? parts[1] : parts[2]);
  return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
}

async function processAlive(pid: number | undefined): Promise<boolean> {
  if (pid === undefined) return false;
  if (pid === Deno.pid) return true;
  try {
    await Deno.stat(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}

/** Creates `path` and missing parents as 0755, so other uids can traverse them. */
async function ensureDirectory(path: string): Promise<void> {
  try {
    await Deno.mkdir(path, { mode: 0o755 });
    await Deno.chmod(path, 0o755);
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) return;
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    await ensureDirectory(join(path, ".."));
    await ensureDirectory(path);
  }
}

function randomTag(): string {
  return crypto.randomUUID().slice(0, 8);
}
