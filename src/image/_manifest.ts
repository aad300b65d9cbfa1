/**
 * The manifest written beside the rootfs tarball: what the tarball must be (digest, size)
 * and what it must contain, entry by entry. Extraction checks every entry against it.
 *
 * Checked by hand rather than with zod: it is read on every launch, and zod's first parse
 * in a process costs several milliseconds.
 *
 * @module
 */

/** One entry of the image as the manifest records it. */
export type ManifestEntry =
  | { type: "file"; path: string; mode: number; size: number; sha256: string }
  | { type: "directory"; path: string; mode: number }
  | { type: "symlink"; path: string; mode: number; target: string };

/**
 * The mode an entry has in the rootfs cache: files lose their write bits (a changed one is
 * found by the checks on use), directories keep theirs, so the owner can remove the cache
 * with `rm -rf`.
 *
 * @example
 * ```ts
 * import { cachedMode } from "./_manifest.ts";
 * cachedMode("file", 0o644); // 0o444
 * cachedMode("directory", 0o755); // 0o755
 * ```
 */
export function cachedMode(type: ManifestEntry["type"], mode: number): number {
  return type === "directory" ? mode : mode & ~0o222;
}

/** The parsed manifest. */
export interface Manifest {
  format: 1;
  tarball: {
    /** sha256 of the compressed tarball: the image digest and cache key. */
    sha256: string;
    /** Bytes of the compressed tarball. */
    size: number;
    /** Bytes of the uncompressed tar stream (a bound for decompression). */
    archiveSize: number;
  };
  /** Number of entries (files, directories, symlinks) in the tarball. */
  fileCount: number;
  /** Total bytes of regular file content. */
  contentSize: number;
  /** sha256 over everything the build read, to tell whether a rebuild is needed. */
  inputs: string;
  files: ManifestEntry[];
}

const SHA256 = /^[0-9a-f]{64}$/;

type Json = Record<string, unknown>;

/**
 * Parses manifest JSON text.
 *
 * @throws {SyntaxError} naming `source` and the offending field when the text is not a valid
 * manifest.
 * @example
 * ```ts
 * import { parseManifest } from "./_manifest.ts";
 * const path = "rootfs/dist/manifest.json";
 * const manifest = parseManifest(await Deno.readTextFile(path), path);
 * manifest.tarball.sha256; // the image digest
 * ```
 */
export function parseManifest(text: string, source: string): Manifest {
  const fail = (field: string, problem: string): never => {
    throw new SyntaxError(`Cannot parse manifest "${source}": ${field}: ${problem}`);
  };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new SyntaxError(`Cannot parse manifest "${source}": ${(error as Error).message}`);
  }
  const object = (value: unknown, field: string): Json =>
    typeof value === "object" && value !== null && !Array.isArray(value)
      ? value as Json
      : fail(field, "expected an object");
  const count = (value: unknown, field: string): number =>
    Number.isSafeInteger(value) && (value as number) >= 0
      ? value as number
      : fail(field, "expected a non-negative integer");
  const string = (value: unknown, field: string): string =>
    typeof value === "string" ? value : fail(field, "expected a string");
  const digest = (value: unknown, field: string): string =>
    SHA256.test(string(value, field))
      ? value as string
      : fail(field, "expected a lowercase hex sha256");
  const mode = (value: unknown, field: string): number =>
    count(value, field) <= 0o777 ? value as number : fail(field, "expected permission bits only");

  const top = object(json, "(top level)");
  if (top.format !== 1) fail("format", "expected 1");
  const tarball = object(top.tarball, "tarball");
  if (!Array.isArray(top.files)) fail("files", "expected an array");
  const files = (top.files as unknown[]).map((value, index): ManifestEntry => {
    const at = `files.${index}`;
    const entry = object(value, at);
    const path = string(entry.path, `${at}.path`);
    switch (entry.type) {
      case "file":
        return {
          type: "file",
          path,
          mode: mode(entry.mode, `${at}.mode`),
          size: count(entry.size, `${at}.size`),
          sha256: digest(entry.sha256, `${at}.sha256`),
        };
      case "directory":
        return { type: "directory", path, mode: mode(entry.mode, `${at}.mode`) };
      case "symlink":
        return {
          type: "symlink",
          path,
          mode: mode(entry.mode, `${at}.mode`),
          target: string(entry.target, `${at}.target`),
        };
      default:
        return fail(`${at}.type`, 'expected "file", "directory" or "symlink"');
    }
  });
  return {
    format: 1,
    tarball: {
      sha256: digest(tarball.sha256, "tarball.sha256"),
      size: count(tarball.size, "tarball.size"),
      archiveSize: count(tarball.archiveSize, "tarball.archiveSize"),
    },
    fileCount: count(top.fileCount, "fileCount"),
    contentSize: count(top.contentSize, "contentSize"),
    inputs: digest(top.inputs, "inputs"),
    files,
  };
}

/** The manifest as stable, pretty JSON text (the build writes exactly this). */
export function formatManifest(manifest: Manifest): string {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}
