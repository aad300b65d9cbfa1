import { gzipSync } from "node:zlib";
import { encodeTar, type TarRecord } from "./tar_format.ts";
import type { Manifest, ManifestEntry } from "./_manifest.ts";
import { sha256Hex } from "./_sha256.ts";
import { compareBytes } from "./byte_order.ts";

export { compareBytes };
import { checkEntryPath, checkSymlinkTarget } from "./_entry_rules.ts";

/** One entry of an image to pack: a file with content, a directory or a relative symlink. */
export type ImageEntry =
  | { type: "file"; path: string; mode: number; data: Uint8Array }
  | { type: "directory"; path: string; mode: number }
  | { type: "symlink"; path: string; target: string };

/** A packed image: the gzip-compressed tarball and its manifest. */
export interface PackedImage {
  tarball: Uint8Array;
  manifest: Manifest;
}

/**
 * Packs entries into a deterministic tarball and its manifest: entries sorted by path,
 * mtime 0, uid and gid 0, no owner names, symlinks 0777, gzip with a zero timestamp. The
 * same entries always give the same bytes. Every entry must obey the extraction rules
 * (relative paths without "." or "..", symlinks that stay inside, no setuid, setgid or
 * sticky bits, parents listed before children).
 *
 * @throws {RangeError} naming the entry that breaks a rule.
 * @example
 * ```ts
 * import { packImage } from "./pack_image.ts";
 * const { tarball, manifest } = packImage([
 *   { type: "directory", path: "etc", mode: 0o755 },
 *   { type: "file", path: "etc/hosts", mode: 0o644, data: new TextEncoder().encode("") },
 * ], "0".repeat(64));
 * ```
 */
export function packImage(entries: ImageEntry[], inputs: string): PackedImage {
  const sorted = [...entries].sort((a, b) => compareBytes(a.path, b.path));
  const directories = new Set<string>();
  const seen = new Set<string>();
  const records: TarRecord[] = [];
  const files: ManifestEntry[] = [];
  let contentSize = 0;
  for (const entry of sorted) {
    const problem = checkEntryPath(entry.path) ??
      (seen.has(entry.path) ? "duplicate path" : undefined) ??
      (parentOf(entry.path) !== "" && !directories.has(parentOf(entry.path))
        ? "parent directory not in the image"
        : undefined) ??
      (entry.type === "symlink" ? checkSymlinkTarget(entry.path, entry.target) : undefined) ??
      (entry.type !== "symlink" && (entry.mode & ~0o777) !== 0
        ? "setuid, setgid or sticky bit"
        : undefined);
    if (problem) throw new RangeError(`Cannot pack image entry "${entry.path}": ${problem}`);
    seen.add(entry.path);
    const base = { path: entry.path, uid: 0, gid: 0, mtime: 0 };
    if (entry.type === "directory") {
      directories.add(entry.path);
      records.push({
        header: { ...base, type: "directory", mode: entry.mode, size: 0, linkname: "" },
      });
      files.push({ type: "directory", path: entry.path, mode: entry.mode });
    } else if (entry.type === "symlink") {
      records.push({
        header: { ...base, type: "symlink", mode: 0o777, size: 0, linkname: entry.target },
      });
      files.push({ type: "symlink", path: entry.path, mode: 0o777, target: entry.target });
    } else {
      const size = entry.data.length;
      contentSize += size;
      records.push({
        header: { ...base, type: "file", mode: entry.mode, size, linkname: "" },
        data: entry.data,
      });
      files.push({
        type: "file",
        path: entry.path,
        mode: entry.mode,
        size,
        sha256: sha256Hex(entry.data),
      });
    }
  }
  const archive = encodeTar(records);
  const tarball = new Uint8Array(gzipSync(archive, { level: 9 }));
  return {
    tarball,
    manifest: {
      format: 1,
      tarball: {
        sha256: sha256Hex(tarball),
        size: tarball.length,
        archiveSize: archive.length,
      },
      fileCount: files.length,
      contentSize,
      inputs,
      files,
    },
  };
}

function parentOf(path: string): string {
  const cut = path.lastIndexOf("/");
  return cut < 0 ? "" : path.slice(0, cut);
}
