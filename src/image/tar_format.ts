/**
 * The ustar header format: encoding for the image build and decoding for extraction. Only
 * plain ustar is produced; extension headers (pax, GNU long names) decode to type `other`
 * so the extractor can refuse them.
 *
 * @module
 */

/** The entry types a tar header can name. */
export type TarEntryType =
  | "file"
  | "directory"
  | "symlink"
  | "hardlink"
  | "character device"
  | "block device"
  | "FIFO"
  | "other";

/** One decoded (or to be encoded) ustar header. */
export interface TarHeader {
  /** The full entry path (prefix and name joined), as stored. */
  path: string;
  type: TarEntryType;
  /** The raw type flag character, e.g. "0", "5", "x". */
  typeflag: string;
  /** Mode bits including setuid, setgid and sticky (0o7777). */
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  /** Symlink or hardlink target. */
  linkname: string;
}

/** The tar block size. */
export const BLOCK = 512;
/** GNU tar's default record size: archives are padded to a multiple of it. */
const RECORD = 10240;

const TYPEFLAGS: Record<string, TarEntryType> = {
  "0": "file",
  "\0": "file",
  "7": "file",
  "1": "hardlink",
  "2": "symlink",
  "3": "character device",
  "4": "block device",
  "5": "directory",
  "6": "FIFO",
};
const FLAG_OF: Partial<Record<TarEntryType, string>> = {
  file: "0",
  hardlink: "1",
  symlink: "2",
  "character device": "3",
  "block device": "4",
  directory: "5",
  FIFO: "6",
};

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Encodes one 512-byte ustar header. Paths longer than 100 bytes are split into prefix and
 * name at a "/"; directories get a trailing "/".
 *
 * @throws {RangeError} when the path or link name does not fit a ustar header.
 */
export function encodeTarHeader(header: Omit<TarHeader, "typeflag"> & { typeflag?: string }) {
  const block = new Uint8Array(BLOCK);
  const path = header.type === "directory" && !header.path.endsWith("/")
    ? `${header.path}/`
    : header.path;
  const [prefix, name] = splitPath(path);
  put(block, 0, 100, encoder.encode(name));
  putOctal(block, 100, 8, header.mode);
  putOctal(block, 108, 8, header.uid);
  putOctal(block, 116, 8, header.gid);
  putOctal(block, 124, 12, header.size);
  putOctal(block, 136, 12, header.mtime);
  block.fill(0x20, 148, 156);
  const flag = header.typeflag ?? FLAG_OF[header.type];
  if (flag === undefined || flag.length !== 1) {
    throw new RangeError(`Cannot encode tar entry type "${header.type}"`);
  }
  block[156] = flag.charCodeAt(0);
  const link = encoder.encode(header.linkname);
  if (link.length > 100) {
    throw new RangeError(`Link target too long for ustar: "${header.linkname}"`);
  }
  put(block, 157, 100, link);
  put(block, 257, 6, encoder.encode("ustar\0"));
  put(block, 263, 2, encoder.encode("00"));
  put(block, 345, 155, encoder.encode(prefix));
  let sum = 0;
  for (const byte of block) sum += byte;
  putOctal(block, 148, 7, sum);
  block[155] = 0x20;
  return block;
}

/**
 * Decodes a 512-byte header block; `undefined` for an all-zero block (end of archive).
 *
 * @throws {SyntaxError} on a bad checksum, a missing ustar magic or a malformed number.
 */
export function decodeTarHeader(block: Uint8Array): TarHeader | undefined {
  if (block.length !== BLOCK) throw new SyntaxError("Truncated tar header");
  if (block.every((byte) => byte === 0)) return undefined;
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i]!;
  if (readOctal(block, 148, 8, "checksum") !== sum) {
    throw new SyntaxError("Bad tar header checksum");
  }
  if (text(block, 257, 6) !== "ustar") throw new SyntaxError("Not a ustar header");
  const name = text(block, 0, 100);
  const prefix = text(block, 345, 155);
  const typeflag = String.fromCharCode(block[156]!);
  return {
    path: prefix ? `${prefix}/${name}` : name,
    type: TYPEFLAGS[typeflag] ?? "other",
    typeflag,
    mode: readOctal(block, 100, 8, "mode"),
    uid: readOctal(block, 108, 8, "uid"),
    gid: readOctal(block, 116, 8, "gid"),
    size: readOctal(block, 124, 12, "size"),
    mtime: readOctal(block, 136, 12, "mtime"),
    linkname: text(block, 157, 100),
  };
}

/** One archive member for {@linkcode encodeTar}: a header and, for files, its content. */
export interface TarRecord {
  header: Omit<TarHeader, "typeflag"> & { typeflag?: string };
  data?: Uint8Array;
}

/**
 * Encodes records, in the given order, as an uncompressed tar archive: each header, its
 * data padded to 512 bytes, two zero blocks, padded to a 10240-byte record like GNU tar.
 */
export function encodeTar(records: TarRecord[]): Uint8Array {
  let length = 2 * BLOCK;
  for (const record of records) length += BLOCK + padded(record.data?.length ?? 0);
  length = Math.ceil(length / RECORD) * RECORD;
  const archive = new Uint8Array(length);
  let at = 0;
  for (const record of records) {
    archive.set(encodeTarHeader(record.header), at);
    at += BLOCK;
    if (record.data) {
      archive.set(record.data, at);
      at += padded(record.data.length);
    }
  }
  return archive;
}

/** `size` rounded up to whole 512-byte blocks. */
export function padded(size: number): number {
  return Math.ceil(size / BLOCK) * BLOCK;
}

function splitPath(path: string): [string, string] {
  const bytes = encoder.encode(path);
  if (bytes.length <= 100) return ["", path];
  for (let cut = path.lastIndexOf("/"); cut > 0; cut = path.lastIndexOf("/", cut - 1)) {
    const prefix = encoder.encode(path.slice(0, cut));
    const name = encoder.encode(path.slice(cut + 1));
    if (prefix.length <= 155 && name.length <= 100 && name.length > 0) {
      return [path.slice(0, cut), path.slice(cut + 1)];
    }
  }
  throw new RangeError(`Path too long for ustar: "${path}"`);
}

function put(block: Uint8Array, at: number, width: number, bytes: Uint8Array): void {
  if (bytes.length > width) throw new RangeError("Tar header field overflow");
  block.set(bytes, at);
}

function putOctal(block: Uint8Array, at: number, width: number, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`Cannot encode ${value} in a tar header`);
  }
  const digits = value.toString(8).padStart(width - 1, "0");
  if (digits.length > width - 1) throw new RangeError(`Cannot encode ${value} in a tar header`);
  put(block, at, width, encoder.encode(`${digits}\0`));
}

function text(block: Uint8Array, at: number, width: number): string {
  const field = block.subarray(at, at + width);
  const end = field.indexOf(0);
  try {
    return decoder.decode(end < 0 ? field : field.subarray(0, end));
  } catch {
    throw new SyntaxError("Tar header field is not valid UTF-8");
  }
}

function readOctal(block: Uint8Array, at: number, width: number, what: string): number {
  const field = text(block, at, width).trim();
  if (!/^[0-7]+$/.test(field)) throw new SyntaxError(`Malformed tar header ${what}: "${field}"`);
  const value = parseInt(field, 8);
  if (!Number.isSafeInteger(value)) throw new SyntaxError(`Tar header ${what} out of range`);
  return value;
}
