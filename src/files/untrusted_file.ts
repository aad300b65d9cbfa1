/**
 * The one rule for what another principal can write: a user's runtime dir and log when root
 * acts for them, the state dir the gateway container writes. Nothing there is a path to
 * follow: a file is opened with `O_NOFOLLOW` (a link is refused, not followed) and
 * `O_NONBLOCK` (a named pipe cannot hang the reader), then must be a regular file of the
 * expected owner, and is read only up to a bound; each directory on the way is checked to be
 * a real directory of that owner, not a link.
 *
 * `node:fs` is loaded on first use only (it alone takes open flags), so nothing on the hot
 * path pays for it.
 *
 * @module
 */
import { join, relative } from "../path/mod.ts";
import { UnreadableFileError } from "../errors/mod.ts";

/** What a file or directory written by someone else must be. */
export interface UntrustedExpectation {
  /** Its owner; any owner when absent. */
  owner?: number | undefined;
  /** The most bytes it may hold. */
  maxBytes: number;
}

/** A file someone else wrote, opened under the rule: read it by position, then close it. */
export interface UntrustedFile extends Disposable {
  readonly path: string;
  /** Its size when it was opened. */
  readonly size: number;
  /** Its inode number: the same file is met again under another name after a rename. */
  readonly ino: number;
  /** Its size now (it may grow). */
  currentSize(): number;
  /** Reads into `buffer` from `position`; 0 at the end. */
  read(buffer: Uint8Array, position: number): number;
  close(): void;
}

/** A file or directory that fails the rule: what it is instead, and that it was not used. */
export class UntrustedPathError extends UnreadableFileError {
  constructor(path: string, reason: string) {
    super(path, reason, {
      hint: "It was written by another user or the gateway container and is not trusted: " +
        "remove it, or ask its owner to",
    });
    this.name = "UntrustedPathError";
  }
}

type NodeFs = typeof import("node:fs");
let nodeFs: NodeFs | undefined;

async function fs(): Promise<NodeFs> {
  return nodeFs ??= (await import("node:fs")).default;
}

/**
 * Opens `path` under the rule: not through a link, not blocking, only a regular file of the
 * expected owner and at most `maxBytes` long (a larger one is refused: {@linkcode readUntrusted}
 * and callers reading a part of a growing file pass their own bound).
 *
 * @throws {UntrustedPathError} for a link, anything but a regular file, another owner, or a
 *   larger file; `Deno.errors.NotFound` when there is nothing.
 * @example
 * ```ts
 * import { openUntrusted } from "./mod.ts";
 * using file = await openUntrusted("/run/user/1000/openshell/gateways/dev/served.json", {
 *   owner: 1000,
 *   maxBytes: 64 * 1024,
 * });
 * ```
 */
export async function openUntrusted(
  path: string,
  expect: UntrustedExpectation,
): Promise<UntrustedFile> {
  const node = await fs();
  const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK } = node.constants;
  let fd: number;
  try {
    fd = node.openSync(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === "ELOOP") throw new UntrustedPathError(path, "is a symbolic link");
    if (code === "ENOENT") throw new Deno.errors.NotFound(`No such file: ${path}`);
    throw error;
  }
  try {
    const info = node.fstatSync(fd);
    const problem = !info.isFile()
      ? `is not a regular file (${kindOf(info)})`
      : expect.owner !== undefined && info.uid !== expect.owner
      ? `belongs to uid ${info.uid}, not ${expect.owner}`
      : info.size > expect.maxBytes
      ? `holds ${info.size} bytes, more than the ${expect.maxBytes} it may`
      : undefined;
    if (problem !== undefined) throw new UntrustedPathError(path, problem);
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      node.closeSync(fd);
    };
    return {
      path,
      size: info.size,
      ino: info.ino,
      currentSize: () => node.fstatSync(fd).size,
      read: (buffer, position) => node.readSync(fd, buffer, 0, buffer.length, position),
      close,
      [Symbol.dispose]: close,
    };
  } catch (error) {
    node.closeSync(fd);
    throw error;
  }
}

/**
 * Reads the whole of `path` under the rule.
 *
 * @throws {UntrustedPathError} as {@linkcode openUntrusted}, or when it grows past the bound.
 */
export async function readUntrusted(
  path: string,
  expect: UntrustedExpectation,
): Promise<Uint8Array> {
  using file = await openUntrusted(path, expect);
  const buffer = new Uint8Array(expect.maxBytes + 1);
  let length = 0;
  for (;;) {
    const n = file.read(buffer.subarray(length), length);
    if (n === 0) break;
    length += n;
    if (length > expect.maxBytes) {
      throw new UntrustedPathError(path, `grew past the ${expect.maxBytes} bytes it may hold`);
    }
  }
  return buffer.subarray(0, length);
}

/**
 * Checks that `dir` and each directory between `base` and it is a real directory (not a
 * link) owned by `owner` and writable by no one else: what lies below can then be changed by
 * `owner` alone.
 *
 * @throws {UntrustedPathError} naming the first one that is not; `Deno.errors.NotFound` when
 *   one is missing.
 */
export async function checkOwnedDirs(base: string, dir: string, owner: number): Promise<void> {
  const rest = relative(base, dir);
  if (rest.startsWith("..")) throw new UntrustedPathError(dir, `is not under ${base}`);
  let path = base;
  for (const part of ["", ...rest.split("/").filter((p) => p !== "")]) {
    path = part === "" ? base : join(path, part);
    const info = await Deno.lstat(path);
    const problem = info.isSymlink
      ? "is a symbolic link"
      : !info.isDirectory
      ? "is not a directory"
      : info.uid !== owner
      ? `belongs to uid ${info.uid}, not ${owner}`
      : ((info.mode ?? 0) & 0o022) !== 0
      ? "is writable by others than its owner"
      : undefined;
    if (problem !== undefined) throw new UntrustedPathError(path, problem);
  }
}

function kindOf(info: import("node:fs").Stats): string {
  if (info.isDirectory()) return "a directory";
  if (info.isFIFO()) return "a named pipe";
  if (info.isCharacterDevice()) return "a character device";
  if (info.isBlockDevice()) return "a block device";
  if (info.isSocket()) return "a socket";
  return "not a file";
}
