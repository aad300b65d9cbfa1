/**
 * Bounded reads of files that other people or programs may have put in place: only a
 * regular file is opened, and never more than a cap is read, so a named pipe cannot hang
 * the program and a link to `/dev/zero` cannot exhaust its memory.
 *
 * The type and size are checked before opening (opening a pipe would block); the read itself
 * stops at the cap whatever the path has become since, so a file swapped for a device after
 * the check still cannot exhaust memory. The asynchronous read also checks the opened file
 * again; the synchronous one, which reads the registry's many small files, saves that call.
 *
 * @module
 */
import { UnreadableFileError } from "../errors/mod.ts";

/** A cap well above any registry file (`metadata.json`, `active_gateway`, certificates). */
export const REGISTRY_FILE_MAX_BYTES = 1024 * 1024;

/**
 * Reads `path` whole, if it is a regular file of at most `maxBytes` bytes (symlinks are
 * followed).
 *
 * @throws {UnreadableFileError} for anything but a regular file, or a larger one.
 * @throws {Deno.errors.NotFound} and the other errors of opening and reading it.
 * @example
 * ```ts
 * import { readRegularFileSync, REGISTRY_FILE_MAX_BYTES } from "./read_regular_file.ts";
 * const bytes = readRegularFileSync("/etc/openshell/active_gateway", REGISTRY_FILE_MAX_BYTES);
 * ```
 */
export function readRegularFileSync(path: string, maxBytes: number): Uint8Array {
  return readCheckedSync(path, maxBytes, false);
}

/**
 * {@linkcode readRegularFileSync} as UTF-8 text. A small file is read into one buffer kept for
 * every such read, as the registry's many small files are: the text is a copy.
 */
export function readRegularTextFileSync(path: string, maxBytes: number): string {
  return decoder.decode(readCheckedSync(path, maxBytes, maxBytes >= SCRATCH_BYTES));
}

// One decoder for every read: making one costs more than decoding a registry file.
const decoder = new TextDecoder();
/** More than a registry file holds, and less than the cap of any file read into it. */
const SCRATCH_BYTES = 16 * 1024;
/** The buffer small files are read into before they are decoded, made on first use. */
let scratch: Uint8Array<ArrayBuffer> | undefined;
/**
 * The first bytes of `scratch` by length, each view made once: the registry's files have few
 * distinct sizes, so most reads decode a view made before instead of a new one.
 */
const scratchViews: Uint8Array<ArrayBuffer>[] = [];

/**
 * Looks at `path` (a pipe must not be opened: that would block), then opens it and reads it
 * whole, never more than `maxBytes`: the read stops at the cap whatever the path has become
 * since the look. The size seen ends the read once that much has come, without one more call.
 * With `useScratch` (only when the cap is at least its size), a file smaller than the scratch
 * buffer is read into it, and what is returned is a view of it, valid until the next read.
 */
function readCheckedSync(path: string, maxBytes: number, useScratch: boolean): Uint8Array {
  const info = Deno.statSync(path);
  refuseUnlessRegular(path, info, maxBytes);
  const size = info.size;
  let buffer: Uint8Array<ArrayBuffer>;
  if (useScratch && size < SCRATCH_BYTES) buffer = scratch ??= new Uint8Array(SCRATCH_BYTES);
  else buffer = new Uint8Array(Math.min(size, maxBytes) + 1);
  const file = Deno.openSync(path); // read-only by default: options given are checked each call
  try {
    let length = 0;
    for (;;) {
      if (length === buffer.length) buffer = grown(buffer, path, maxBytes);
      const read = file.readSync(length === 0 ? buffer : buffer.subarray(length));
      if (read !== null) length += read;
      if (read === null || (length === size && size > 0)) {
        return buffer === scratch
          ? scratchViews[length] ??= buffer.subarray(0, length)
          : buffer.subarray(0, length);
      }
    }
  } finally {
    file.close();
  }
}

/**
 * {@linkcode readRegularFileSync} without blocking the event loop.
 *
 * @example
 * ```ts
 * import { readRegularFile } from "./mod.ts";
 * const manifest = { tarball: { size: 84_213_760 } }; // the size the image's manifest records
 * const tarball = await readRegularFile("rootfs/dist/rootfs.tar.gz", manifest.tarball.size);
 * ```
 */
export async function readRegularFile(path: string, maxBytes: number): Promise<Uint8Array> {
  refuseUnlessRegular(path, await Deno.stat(path), maxBytes);
  using file = await Deno.open(path, { read: true });
  const info = await file.stat();
  refuseUnlessRegular(path, info, maxBytes);
  let buffer = new Uint8Array(Math.min(info.size, maxBytes) + 1);
  let length = 0;
  for (;;) {
    if (length === buffer.length) buffer = grown(buffer, path, maxBytes);
    const read = await file.read(buffer.subarray(length));
    if (read === null) return buffer.subarray(0, length);
    length += read;
  }
}

/** {@linkcode readRegularFile} as UTF-8 text. */
export async function readRegularTextFile(path: string, maxBytes: number): Promise<string> {
  return decoder.decode(await readRegularFile(path, maxBytes));
}

function refuseUnlessRegular(path: string, info: Deno.FileInfo, maxBytes: number): void {
  if (!info.isFile) {
    throw new UnreadableFileError(path, notRegular(info), {
      hint: info.isDirectory
        ? "A directory is where a file is expected: move it aside"
        : "Only regular files are read: replace it with one",
    });
  }
  if (info.size > maxBytes) throw new FileTooLargeError(path, maxBytes, info.size);
}

// A file that grows while it is read (or reports a size of 0, as /proc files do).
function grown(
  buffer: Uint8Array<ArrayBuffer>,
  path: string,
  maxBytes: number,
): Uint8Array<ArrayBuffer> {
  if (buffer.length > maxBytes) throw new FileTooLargeError(path, maxBytes, undefined);
  const next = new Uint8Array(Math.min(Math.max(buffer.length * 2, 4096), maxBytes + 1));
  next.set(buffer);
  return next;
}

/** A file larger than the cap; `size` is what it was found to hold, when known. */
export class FileTooLargeError extends UnreadableFileError {
  readonly size: number | undefined;

  constructor(path: string, maxBytes: number, size: number | undefined) {
    super(
      path,
      `${size === undefined ? "more" : size} bytes, more than the ${maxBytes} bytes a file ` +
        "of its kind can hold",
      { hint: "No real file of its kind is that large: replace it" },
    );
    this.name = "FileTooLargeError";
    this.size = size;
  }
}

function notRegular(info: Deno.FileInfo): string {
  if (info.isDirectory) return "is a directory";
  const kind = info.isFifo
    ? "a named pipe"
    : info.isCharDevice
    ? "a character device"
    : info.isBlockDevice
    ? "a block device"
    : info.isSocket
    ? "a socket"
    : "not a file";
  return `not a regular file (${kind})`;
}
