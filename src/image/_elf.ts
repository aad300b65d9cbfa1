/**
 * A minimal ELF reader: just what deciding a program's runtime closure needs (class,
 * machine, the PT_INTERP interpreter and the dynamic section's DT_NEEDED, DT_RUNPATH,
 * DT_RPATH and DT_SONAME). Pure: it reads bytes through a callback and touches nothing else.
 *
 * @module
 */

/** Reads up to `length` bytes at `offset`; fewer only at the end of the file. */
export type ByteReader = (offset: number, length: number) => Uint8Array;

/** What the dynamic loader needs to know about one ELF file. */
export interface ElfInfo {
  /** 32 or 64 (EI_CLASS). */
  bits: 32 | 64;
  /** "little" or "big" (EI_DATA). */
  endian: "little" | "big";
  /** e_machine, e.g. 62 for x86-64, 183 for AArch64. */
  machine: number;
  /** e_type: 2 executable, 3 shared object (or PIE). */
  type: number;
  /** The PT_INTERP path, when the file asks for an interpreter. */
  interpreter: string | undefined;
  /** DT_NEEDED entries in file order. */
  needed: string[];
  /** DT_RUNPATH, split on ":"; `undefined` when absent. */
  runpath: string[] | undefined;
  /** DT_RPATH, split on ":"; `undefined` when absent. */
  rpath: string[] | undefined;
  /** DT_SONAME, when present. */
  soname: string | undefined;
}

const PT_LOAD = 1;
const PT_DYNAMIC = 2;
const PT_INTERP = 3;
const DT_NULL = 0;
const DT_NEEDED = 1;
const DT_STRTAB = 5;
const DT_STRSZ = 10;
const DT_SONAME = 14;
const DT_RPATH = 15;
const DT_RUNPATH = 29;
const MAX_PROGRAM_HEADERS = 4096;
const MAX_DYNAMIC_BYTES = 1 << 20;
const MAX_STRTAB_BYTES = 16 << 20;

/** Whether `bytes` starts with the ELF magic number. */
export function hasElfMagic(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c &&
    bytes[3] === 0x46;
}

/**
 * Parses the headers of an ELF file.
 *
 * @throws {SyntaxError} when the bytes are not a well-formed ELF file; the message says why.
 * @example
 * ```ts
 * import { parseElf } from "./_elf.ts";
 * const bytes = Deno.readFileSync("/bin/true");
 * parseElf((offset, length) => bytes.subarray(offset, offset + length)).needed;
 * // ["libc.so.6"]
 * ```
 */
export function parseElf(read: ByteReader): ElfInfo {
  const ident = read(0, 64);
  if (!hasElfMagic(ident)) throw new SyntaxError("Not an ELF file: bad magic number");
  if (ident.length < 52) throw new SyntaxError("Malformed ELF file: truncated header");
  const bits = ident[4] === 1 ? 32 : ident[4] === 2 ? 64 : undefined;
  if (bits === undefined) throw new SyntaxError(`Malformed ELF file: bad class ${ident[4]}`);
  const endian = ident[5] === 1 ? "little" : ident[5] === 2 ? "big" : undefined;
  if (endian === undefined) throw new SyntaxError(`Malformed ELF file: bad data ${ident[5]}`);
  if (bits === 64 && ident.length < 64) {
    throw new SyntaxError("Malformed ELF file: truncated header");
  }
  const field = fieldReader(bits, endian === "little");
  const header = view(ident);
  const type = field.u16(header, 16);
  const machine = field.u16(header, 18);
  const phoff = bits === 64 ? field.u64(header, 32) : field.u32(header, 28);
  const phentsize = field.u16(header, bits === 64 ? 54 : 42);
  const phnum = field.u16(header, bits === 64 ? 56 : 44);
  const minimumEntry = bits === 64 ? 56 : 32;
  if (phnum > 0 && phentsize < minimumEntry) {
    throw new SyntaxError(`Malformed ELF file: program header size ${phentsize}`);
  }
  if (phnum >= 0xffff || phnum > MAX_PROGRAM_HEADERS) {
    throw new SyntaxError(`Malformed ELF file: ${phnum} program headers`);
  }

  const segments: { type: number; offset: number; vaddr: number; filesz: number }[] = [];
  if (phnum > 0) {
    const table = exact(read, phoff, phentsize * phnum, "program header table");
    const tableView = view(table);
    for (let i = 0; i < phnum; i++) {
      const at = i * phentsize;
      segments.push(
        bits === 64
          ? {
            type: field.u32(tableView, at),
            offset: field.u64(tableView, at + 8),
            vaddr: field.u64(tableView, at + 16),
            filesz: field.u64(tableView, at + 32),
          }
          : {
            type: field.u32(tableView, at),
            offset: field.u32(tableView, at + 4),
            vaddr: field.u32(tableView, at + 8),
            filesz: field.u32(tableView, at + 16),
          },
      );
    }
  }

  const info: ElfInfo = {
    bits,
    endian,
    machine,
    type,
    interpreter: undefined,
    needed: [],
    runpath: undefined,
    rpath: undefined,
    soname: undefined,
  };

  const interp = segments.find((segment) => segment.type === PT_INTERP);
  if (interp) {
    const bytes = exact(read, interp.offset, Math.min(interp.filesz, 4096), "PT_INTERP");
    info.interpreter = cString(bytes, 0, "PT_INTERP");
  }

  const dynamic = segments.find((segment) => segment.type === PT_DYNAMIC);
  if (!dynamic) return info;
  if (dynamic.filesz > MAX_DYNAMIC_BYTES) {
    throw new SyntaxError(`Malformed ELF file: dynamic section of ${dynamic.filesz} bytes`);
  }
  const dynBytes = exact(read, dynamic.offset, dynamic.filesz, "PT_DYNAMIC");
  const dynView = view(dynBytes);
  const entrySize = bits === 64 ? 16 : 8;
  const entries: { tag: number; value: number }[] = [];
  for (let at = 0; at + entrySize <= dynBytes.length; at += entrySize) {
    const tag = bits === 64 ? field.s64(dynView, at) : field.s32(dynView, at);
    if (tag === DT_NULL) break;
    const value = bits === 64 ? field.u64(dynView, at + 8) : field.u32(dynView, at + 4);
    entries.push({ tag, value });
  }
  const strtabAddress = entries.find((entry) => entry.tag === DT_STRTAB)?.value;
  const strtabSize = entries.find((entry) => entry.tag === DT_STRSZ)?.value;
  const wantsStrings = entries.some((entry) =>
    [DT_NEEDED, DT_SONAME, DT_RPATH, DT_RUNPATH].includes(entry.tag)
  );
  if (!wantsStrings) return info;
  if (strtabAddress === undefined || strtabSize === undefined) {
    throw new SyntaxError("Malformed ELF file: dynamic section without DT_STRTAB or DT_STRSZ");
  }
  if (strtabSize > MAX_STRTAB_BYTES) {
    throw new SyntaxError(`Malformed ELF file: string table of ${strtabSize} bytes`);
  }
  const load = segments.find((segment) =>
    segment.type === PT_LOAD && segment.vaddr <= strtabAddress &&
    strtabAddress + strtabSize <= segment.vaddr + segment.filesz
  );
  if (!load) throw new SyntaxError("Malformed ELF file: DT_STRTAB outside every PT_LOAD segment");
  const strtab = exact(read, load.offset + (strtabAddress - load.vaddr), strtabSize, "DT_STRTAB");
  const text = (offset: number) => cString(strtab, offset, "DT_STRTAB");
  for (const { tag, value } of entries) {
    if (tag === DT_NEEDED) info.needed.push(text(value));
    else if (tag === DT_SONAME) info.soname = text(value);
    else if (tag === DT_RPATH) info.rpath = text(value).split(":").filter((dir) => dir !== "");
    else if (tag === DT_RUNPATH) info.runpath = text(value).split(":").filter((dir) => dir !== "");
  }
  return info;
}

/** Parses the ELF file at `path`, reading only the parts it needs. */
export function readElfFile(path: string): ElfInfo {
  using file = Deno.openSync(path, { read: true });
  return parseElf((offset, length) => {
    const buffer = new Uint8Array(length);
    file.seekSync(offset, Deno.SeekMode.Start);
    let filled = 0;
    while (filled < length) {
      const count = file.readSync(buffer.subarray(filled));
      if (count === null || count === 0) break;
      filled += count;
    }
    return buffer.subarray(0, filled);
  });
}

/** Reads the first bytes of `path` to tell whether it is an ELF file. */
export async function isElfFile(path: string): Promise<boolean> {
  using file = await Deno.open(path, { read: true });
  const head = new Uint8Array(4);
  const count = await file.read(head);
  return count === 4 && hasElfMagic(head);
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function exact(read: ByteReader, offset: number, length: number, what: string): Uint8Array {
  const bytes = read(offset, length);
  if (bytes.length !== length) {
    throw new SyntaxError(`Malformed ELF file: ${what} beyond the end of the file`);
  }
  return bytes;
}

function cString(bytes: Uint8Array, offset: number, what: string): string {
  const end = bytes.indexOf(0, offset);
  if (offset >= bytes.length || end < 0) {
    throw new SyntaxError(`Malformed ELF file: unterminated string in ${what}`);
  }
  return new TextDecoder().decode(bytes.subarray(offset, end));
}

function fieldReader(bits: 32 | 64, little: boolean) {
  const safe = (value: bigint) => {
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new SyntaxError(`Malformed ELF file: ${bits}-bit value ${value} out of range`);
    }
    return Number(value);
  };
  return {
    u16: (data: DataView, at: number) => data.getUint16(at, little),
    u32: (data: DataView, at: number) => data.getUint32(at, little),
    s32: (data: DataView, at: number) => data.getInt32(at, little),
    u64: (data: DataView, at: number) => safe(data.getBigUint64(at, little)),
    s64: (data: DataView, at: number) => {
      const value = data.getBigInt64(at, little);
      return value < 0n ? -1 : safe(value);
    },
  };
}
