/**
 * The rules every image entry obeys, shared by the image build (which refuses to write a
 * breaking entry) and extraction (which refuses to unpack one). Each check returns the
 * problem in a few words, or `undefined` when the entry is fine.
 *
 * @module
 */
import type { TarHeader } from "./tar_format.ts";

/** A path inside the image: relative, "/"-separated, no empty, "." or ".." component. */
export function checkEntryPath(path: string): string | undefined {
  if (path === "") return "empty path";
  if (path.startsWith("/")) return "absolute path";
  if (path.includes("\0")) return "NUL byte in path";
  const parts = path.split("/");
  if (parts.includes("..")) return 'path contains ".."';
  if (parts.includes(".")) return 'path contains "."';
  if (parts.includes("")) return "empty path component";
  return undefined;
}

/**
 * A symlink target that stays inside the image: relative, some leading ".." components
 * that do not climb above the image root from the link's directory, then plain names only.
 * That shape keeps every link inside even when one link's target passes through another.
 */
export function checkSymlinkTarget(linkPath: string, target: string): string | undefined {
  if (target === "") return "empty symlink target";
  if (target.startsWith("/")) return `absolute symlink target "${target}"`;
  if (target.includes("\0")) return "NUL byte in symlink target";
  const parts = target.split("/");
  let ups = 0;
  while (parts[ups] === "..") ups++;
  const rest = parts.slice(ups);
  if (rest.length === 0 || rest.some((part) => part === "" || part === "." || part === "..")) {
    return `symlink target "${target}" is not a normalised path`;
  }
  const depth = linkPath.split("/").length - 1;
  if (ups > depth) return `symlink target "${target}" escapes the image`;
  return undefined;
}

/** What extraction has seen so far, for {@linkcode checkTarEntry}. */
export interface ExtractionState {
  /** Directories created so far (the image root is implied). */
  directories: Set<string>;
  /** Every path created so far. */
  paths: Set<string>;
}

/**
 * Decides whether a tar entry may be extracted, before anything is written for it: only
 * regular files, directories and inside-pointing relative symlinks; no setuid, setgid or
 * sticky bits; a fresh path whose parent is a directory this archive already created (so
 * nothing is ever written through a symlink or over an earlier entry).
 *
 * @returns the normalised path (no trailing "/"), or a problem description.
 */
export function checkTarEntry(
  header: TarHeader,
  state: ExtractionState,
): { path: string } | { problem: string } {
  if (header.type === "hardlink") return { problem: "hardlinks are not allowed" };
  if (header.type === "character device" || header.type === "block device") {
    return { problem: "device nodes are not allowed" };
  }
  if (header.type === "FIFO") return { problem: "FIFOs are not allowed" };
  if (header.type === "other") {
    return { problem: `unsupported entry type "${printable(header.typeflag)}"` };
  }
  const path = header.type === "directory" && header.path.endsWith("/")
    ? header.path.slice(0, -1)
    : header.path;
  const pathProblem = checkEntryPath(path);
  if (pathProblem) return { problem: pathProblem };
  if (header.mode & 0o4000) return { problem: "setuid bit" };
  if (header.mode & 0o2000) return { problem: "setgid bit" };
  if (header.mode & 0o1000) return { problem: "sticky bit" };
  if (header.type !== "file" && header.size !== 0) {
    return { problem: `${header.type} with ${header.size} bytes of data` };
  }
  if (state.paths.has(path)) return { problem: "duplicate entry" };
  const cut = path.lastIndexOf("/");
  const parent = cut < 0 ? "" : path.slice(0, cut);
  if (parent !== "" && !state.directories.has(parent)) {
    return { problem: `parent "${parent}" is not a directory of the image` };
  }
  if (header.type === "symlink") {
    const targetProblem = checkSymlinkTarget(path, header.linkname);
    if (targetProblem) return { problem: targetProblem };
  }
  return { path };
}

function printable(flag: string): string {
  return flag === "\0" ? "\\0" : flag.replace(/[^\x20-\x7e]/g, "?");
}
