/**
 * Copies of the program (a file) and its sources (a tree) in the cache, for a container
 * that cannot reach the originals (root's container runs as uid 65532, which cannot
 * traverse a 0700 home). Content-addressed: `<cache>/program/<sha256>/` holds the one copied
 * item, made once per content and reused by every later launch. A copy is written into a
 * temp dir beside the entries and renamed into place, so it is complete or absent; on use it
 * is checked against its digest (a file by its recorded stamp, else by hashing), and a
 * damaged copy is replaced. The copy is `program` (a file) or `sources` (a tree).
 *
 * @module
 */
import { basename, join } from "../path/mod.ts";
import { type EnvLookup, openshellDir, sourceDir } from "../host/mod.ts";
import { fileStamp, recordStamp } from "./_file_stamp.ts";
import { removeTree } from "../files/mod.ts";
import { webSha256Hex } from "./_web_sha256.ts";

const DIGEST = /^[0-9a-f]{64}$/;
const TEMP_PREFIX = ".tmp-";

/**
 * What the container runs: this program's executable (the Deno binary under `deno run`)
 * and, from source, the project's `src/`.
 */
export function runningProgram(): { binary: string; sourceDir?: string } {
  const binary = Deno.execPath();
  const source = sourceDir();
  return source === undefined ? { binary } : { binary, sourceDir: source };
}

/** The directory holding every program copy. */
export function programCacheDir(env: EnvLookup, uid: number): string {
  return join(openshellDir("cache", env, uid), "program");
}

/** Where the digests of hashed originals and copies are recorded by their stamps. */
function recordDir(cacheDir: string): string {
  return join(cacheDir, "..", "program-checks");
}

/**
 * The cached copy of `path` (a file, or a directory tree of files), made when absent or
 * damaged; returns the copy's path.
 *
 * @example
 * ```ts
 * import { processEnv } from "../host/mod.ts";
 * import { ensureProgramCopy, programCacheDir } from "./mod.ts";
 * await ensureProgramCopy(Deno.execPath(), programCacheDir(processEnv, 0));
 * // "/var/cache/openshell/program/3f…/program"
 * ```
 */
export async function ensureProgramCopy(
  path: string,
  cacheDir: string,
  options: { onCopy?: (copy: string) => void } = {},
): Promise<string> {
  const real = await Deno.realPath(path);
  const isTree = (await Deno.stat(real)).isDirectory;
  const digest = isTree ? await treeDigest(real) : await fileDigest(real, recordDir(cacheDir));
  const entry = join(cacheDir, digest);
  const copy = join(entry, isTree ? "sources" : "program");
  if (await copyMatches(copy, digest, isTree, cacheDir)) return copy;
  options.onCopy?.(copy);
  await ensureDirectory(cacheDir);
  const temp = join(cacheDir, `${TEMP_PREFIX}${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`);
  await Deno.mkdir(temp, { mode: 0o755 });
  try {
    await Deno.chmod(temp, 0o755);
    const target = join(temp, basename(copy));
    if (isTree) await copyTree(real, target);
    else await copyFile(real, target);
    if ((isTree ? await treeDigest(target) : await hashFile(target)) !== digest) {
      throw new Error(`"${real}" changed while it was copied`);
    }
    // Another launch may have put a good copy in place meanwhile: never discard that one.
    if (await copyMatches(copy, digest, isTree, cacheDir)) {
      await removeTree(temp);
      return copy;
    }
    await removeTree(entry);
    try {
      await Deno.rename(temp, entry);
    } catch (error) {
      // Another launch renamed its complete copy into place first: use that one.
      if (!(await copyMatches(copy, digest, isTree, cacheDir))) throw error;
      await removeTree(temp);
    }
  } catch (error) {
    await removeTree(temp);
    throw error;
  }
  return copy;
}

/**
 * Removes copies other than those of the digests `keep` gives (asked only when there are
 * copies), and leftovers of interrupted copies.
 *
 * @returns the removed paths.
 */
export async function gcProgramCopies(
  cacheDir: string,
  keepDigests: () => Promise<readonly string[]>,
): Promise<string[]> {
  const removed: string[] = [];
  const names = await Array.fromAsync(Deno.readDir(cacheDir), (e) => e.name).catch(() => []);
  if (names.length === 0) return removed;
  const keep = await keepDigests();
  for (const name of names.sort()) {
    const stale = DIGEST.test(name) ? !keep.includes(name) : name.startsWith(TEMP_PREFIX) &&
      !(await pidAlive(Number(name.split("-")[1])));
    if (!stale) continue;
    await removeTree(join(cacheDir, name));
    removed.push(join(cacheDir, name));
  }
  // Nothing kept: the recorded digests go too (records, not entries: not listed).
  if (keep.length === 0) await removeTree(recordDir(cacheDir));
  return removed;
}

/** The digests of `paths` as {@linkcode ensureProgramCopy} names their copies. */
export async function programDigests(paths: readonly string[], cacheDir: string) {
  return await Promise.all(paths.map(async (path) => {
    const real = await Deno.realPath(path);
    return (await Deno.stat(real)).isDirectory
      ? await treeDigest(real)
      : await fileDigest(real, recordDir(cacheDir));
  }));
}

/** Whether `copy` holds exactly the content of `digest` and nobody else can change it. */
async function copyMatches(
  copy: string,
  digest: string,
  isTree: boolean,
  cacheDir: string,
): Promise<boolean> {
  try {
    const info = await Deno.lstat(copy);
    if (info.isDirectory !== isTree || ((info.mode ?? 0) & 0o022) !== 0) return false;
    return (isTree ? await treeDigest(copy) : await fileDigest(copy, recordDir(cacheDir))) ===
      digest;
  } catch {
    return false;
  }
}

/** A file's sha256, taken from its record when its stamp shows it unchanged since hashed. */
async function fileDigest(path: string, records: string): Promise<string> {
  const info = await Deno.stat(path);
  const stamp = fileStamp(path, info);
  const record = stamp &&
    join(records, (await webSha256Hex(new TextEncoder().encode(stamp))).slice(0, 40));
  if (record) {
    const recorded = await Deno.readTextFile(record).catch(() => "");
    if (recorded.startsWith(stamp)) {
      const digest = recorded.slice(stamp.length).trim();
      if (DIGEST.test(digest)) return digest;
    }
  }
  const digest = await hashFile(path);
  if (stamp && record) {
    await ensureDirectory(join(records, ".."));
    recordStamp(records, basename(record), `${stamp}${digest}\n`, await Deno.stat(path));
  }
  return digest;
}

async function hashFile(path: string): Promise<string> {
  return await webSha256Hex(await Deno.readFile(path));
}

/** A tree's sha256 over its sorted relative paths, kinds, execute bits and contents. */
async function treeDigest(root: string): Promise<string> {
  const lines: string[] = [];
  const walk = async (dir: string, prefix: string) => {
    const entries = await Array.fromAsync(Deno.readDir(dir));
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const path = join(dir, entry.name);
      const relative = prefix + entry.name;
      const info = await Deno.stat(path);
      if (info.isDirectory) {
        lines.push(`d ${JSON.stringify(relative)}`);
        await walk(path, `${relative}/`);
      } else if (info.isFile) {
        const exec = ((info.mode ?? 0) & 0o100) !== 0 ? "x" : "-";
        lines.push(`f${exec} ${JSON.stringify(relative)} ${await hashFile(path)}`);
      }
    }
  };
  await walk(root, "");
  return await webSha256Hex(new TextEncoder().encode(lines.join("\n")));
}

/** Copies a file read-only (0555 or 0444 by its execute bit). */
async function copyFile(from: string, to: string): Promise<void> {
  const mode = ((await Deno.stat(from)).mode ?? 0) & 0o100 ? 0o555 : 0o444;
  await Deno.copyFile(from, to);
  await Deno.chmod(to, mode);
}

/** Copies a tree of files: directories 0755, files read-only; symlinks followed. */
async function copyTree(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { mode: 0o755 });
  await Deno.chmod(to, 0o755);
  for await (const entry of Deno.readDir(from)) {
    const source = join(from, entry.name);
    const info = await Deno.stat(source);
    if (info.isDirectory) await copyTree(source, join(to, entry.name));
    else if (info.isFile) await copyFile(source, join(to, entry.name));
  }
}

/** Creates `path` and missing parents as 0755, so the container's uid can traverse them. */
async function ensureDirectory(path: string): Promise<void> {
  await Deno.mkdir(path, { recursive: true, mode: 0o755 });
}

async function pidAlive(pid: number): Promise<boolean> {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  return await Deno.stat(`/proc/${pid}`).then(() => true, () => false);
}
