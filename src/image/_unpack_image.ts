import { join } from "../path/mod.ts";
import { gunzipSync } from "node:zlib";
import { checkTarEntry, type ExtractionState } from "./_entry_rules.ts";
import { cachedMode, type Manifest, type ManifestEntry } from "./_manifest.ts";
import { sha256Hex } from "./_sha256.ts";
import { BLOCK, decodeTarHeader, padded } from "./tar_format.ts";
import { removeTree } from "../files/mod.ts";
import { checkTarball, type ImageSource, refuseImage } from "./tarball_check.ts";

export type { ImageSource } from "./tarball_check.ts";

/**
 * Unpacks a gzip tarball into `dest` (which must not exist), checking it against its
 * manifest before and while writing: the tarball digest and size first, then each entry's
 * shape (only regular files, directories and inside-pointing relative symlinks; no setuid,
 * setgid or sticky bits; never through a symlink or over an earlier entry), its presence,
 * type, mode, size and sha256 in the manifest, and the totals. On any refusal `dest` is
 * removed and nothing else was touched. Directory modes are applied last, so images with
 * 0555 directories unpack too.
 *
 * `digestChecked` skips the digest check when the caller has just done it with
 * {@linkcode checkTarball}; `readOnly` gives files and directories their cache modes
 * ({@linkcode cachedMode}; the image modes are still what the manifest is checked against).
 *
 * Writes are synchronous: one entry after another, like tar, without a thread-pool hop per
 * file. A small reader of its own rather than node-tar: every entry is checked against the
 * manifest before it is written, and it fails closed where node-tar warns and carries on.
 *
 * @throws {UserError} naming the offending entry.
 */
export async function unpackImage(
  tarball: Uint8Array,
  manifest: Manifest,
  dest: string,
  source: ImageSource,
  options: { digestChecked?: boolean; readOnly?: boolean } = {},
): Promise<void> {
  const refuse: (message: string) => never = (message) => refuseImage(source, message);
  if (!options.digestChecked) await checkTarball(tarball, manifest, source);
  const finalMode = (type: ManifestEntry["type"], mode: number) =>
    options.readOnly ? cachedMode(type, mode) : mode;

  let archive: Uint8Array;
  try {
    archive = gunzipSync(tarball, { maxOutputLength: manifest.tarball.archiveSize });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return refuse(
      /larger|length|buffer/i.test(message)
        ? `more bytes than the manifest's ${manifest.tarball.archiveSize}`
        : `cannot decompress: ${message}`,
    );
  }

  const expected = new Map<string, ManifestEntry>(manifest.files.map((file) => [file.path, file]));
  const state: ExtractionState = { directories: new Set(), paths: new Set() };
  const directoryModes: [string, number][] = [];
  await Deno.mkdir(dest, { mode: 0o700 });
  try {
    let at = 0;
    let count = 0;
    let contentBytes = 0;
    let ended = false;
    while (at + BLOCK <= archive.length) {
      let header;
      try {
        header = decodeTarHeader(archive.subarray(at, at + BLOCK));
      } catch (error) {
        return refuse(`${(error as Error).message} at offset ${at}`);
      }
      if (header === undefined) {
        ended = true;
        break;
      }
      at += BLOCK;
      const name = JSON.stringify(header.path);
      if (++count > manifest.fileCount) {
        refuse(`entry ${name}: more entries than the manifest's ${manifest.fileCount}`);
      }
      const checked = checkTarEntry(header, state);
      if ("problem" in checked) return refuse(`entry ${name}: ${checked.problem}`);
      const path = checked.path;
      const want = expected.get(path);
      if (!want) refuse(`entry ${name}: not in the manifest`);
      if (want.type !== header.type) {
        refuse(`entry ${name}: ${header.type} where the manifest has a ${want.type}`);
      }
      if (header.type !== "symlink" && want.mode !== header.mode) {
        refuse(`entry ${name}: mode ${octal(header.mode)}, manifest ${octal(want.mode)}`);
      }
      const target = join(dest, path);
      if (header.type === "directory") {
        Deno.mkdirSync(target, { mode: 0o700 });
        state.directories.add(path);
        directoryModes.push([target, finalMode("directory", header.mode)]);
      } else if (header.type === "symlink") {
        if (want.type === "symlink" && want.target !== header.linkname) {
          refuse(`entry ${name}: symlink target differs from the manifest`);
        }
        Deno.symlinkSync(header.linkname, target);
      } else {
        contentBytes += header.size;
        if (contentBytes > manifest.contentSize) {
          refuse(`entry ${name}: more bytes than the manifest's ${manifest.contentSize}`);
        }
        if (want.type === "file" && want.size !== header.size) {
          refuse(`entry ${name}: ${header.size} bytes, manifest ${want.size}`);
        }
        if (at + header.size > archive.length) refuse(`entry ${name}: truncated`);
        const data = archive.subarray(at, at + header.size);
        if (want.type === "file" && sha256Hex(data) !== want.sha256) {
          refuse(`entry ${name}: content does not match the manifest's sha256`);
        }
        Deno.writeFileSync(target, data, { createNew: true, mode: 0o600 });
        Deno.chmodSync(target, finalMode("file", header.mode));
        at += padded(header.size);
      }
      state.paths.add(path);
    }
    if (!ended) refuse("archive ends without an end-of-archive marker");
    if (archive.subarray(at).some((byte) => byte !== 0)) {
      refuse("data after the end-of-archive marker");
    }
    if (count !== manifest.fileCount) {
      refuse(`${count} entries, manifest ${manifest.fileCount}`);
    }
    const absent = manifest.files.find((file) => !state.paths.has(file.path));
    if (absent) refuse(`entry "${absent.path}" of the manifest is missing`);
    for (const [path, mode] of directoryModes.reverse()) Deno.chmodSync(path, mode);
    Deno.chmodSync(dest, finalMode("directory", 0o755));
  } catch (error) {
    await removeTree(dest);
    throw error;
  }
}

function octal(mode: number): string {
  return `0${mode.toString(8)}`;
}
