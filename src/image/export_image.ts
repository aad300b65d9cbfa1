/**
 * Writes the packaged gateway as an OCI image: an OCI image layout directory or a
 * docker-archive file. Layers: the embedded rootfs tarball byte for byte (gzip), then the
 * program (the compiled binary, or the pinned Deno and the source tree), packed
 * deterministically: entries sorted, mtime 0, owner 0. The config's `created` is the source
 * date (`SOURCE_DATE_EPOCH`, else the epoch), so the same inputs give the same digests.
 *
 * @module
 */
import { dirname, join, relative } from "../path/mod.ts";
import denoJson from "../../deno.json" with { type: "json" };
import { atomicWriteFile } from "../files/mod.ts";
import { imageSource, loadManifest, readTarball } from "./embedded_image.ts";
import { compareBytes } from "./byte_order.ts";
import { webSha256Hex } from "./_web_sha256.ts";
import { encodeTar, type TarRecord } from "./tar_format.ts";
import { CONTAINER_PATHS, ROOT_MODE_HOST_ID } from "../contract/mod.ts";
import { UserError } from "../errors/mod.ts";
import type { EnvLookup } from "../host/mod.ts";
import {
  blobPath,
  type Descriptor,
  dockerArchiveManifest,
  imageConfig,
  imageManifest,
  type ImageProgram,
  type Layer,
  layoutIndex,
  MEDIA_TYPES,
  sourceDate,
} from "./oci_image.ts";

/** What to export. */
export interface ExportOptions {
  format: "oci" | "docker-archive";
  /** The layout directory (`oci`) or archive file (`docker-archive`). */
  target: string;
  tag: string;
  env: EnvLookup;
  /** The running program and, under `deno run`, its source tree. */
  binary: string;
  sourceDir?: string;
}

/** What was written. */
export interface ExportResult {
  format: ExportOptions["format"];
  target: string;
  tag: string;
  manifestDigest: string;
  layers: string[];
}

interface Blob {
  descriptor: Descriptor;
  data: Uint8Array;
}

async function blob(mediaType: string, data: Uint8Array): Promise<Blob> {
  const digest = await webSha256Hex(ownBuffer(data));
  return { descriptor: { mediaType, digest: `sha256:${digest}`, size: data.length }, data };
}

/** `data` over a plain ArrayBuffer, as Web Crypto wants it: copied only when it is shared. */
function ownBuffer(data: Uint8Array): Uint8Array<ArrayBuffer> {
  return data.buffer instanceof ArrayBuffer
    ? data as Uint8Array<ArrayBuffer>
    : new Uint8Array(data);
}

function jsonBlob(mediaType: string, value: unknown): Promise<Blob> {
  return blob(mediaType, new TextEncoder().encode(JSON.stringify(value)));
}

/** The bytes a gzip stream holds, by the web's decompressor (no `node:zlib` to load). */
async function gunzip(data: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
  const stream = new Blob([ownBuffer(data)]).stream().pipeThrough(new DecompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** The program layer's tar: the binary and, from source, the source tree (only .ts/.json). */
async function programLayer(binary: string, sourceDir: string | undefined): Promise<Uint8Array> {
  const records: TarRecord[] = [];
  const header = (
    path: string,
    type: "file" | "directory",
    mode: number,
    size = 0,
    owner = 0,
  ) => ({
    path,
    type,
    typeflag: type === "file" ? "0" : "5",
    mode,
    uid: owner,
    gid: owner,
    size,
    mtime: 0,
    linkname: "",
  });
  const dirs = new Set<string>();
  const addParents = (path: string) => {
    for (let dir = dirname(path); dir !== "."; dir = dirname(dir)) dirs.add(dir);
  };
  addParents(CONTAINER_PATHS.state.slice(1));
  const entries: { path: string; mode: number; data?: Uint8Array; owner?: number }[] = [];
  // The state dir belongs to the gateway's user: a volume mounted there starts with it.
  entries.push({ path: CONTAINER_PATHS.state.slice(1), mode: 0o700, owner: ROOT_MODE_HOST_ID });
  const binaryPath = CONTAINER_PATHS.binary.slice(1);
  entries.push({ path: binaryPath, mode: 0o755, data: await Deno.readFile(binary) });
  addParents(binaryPath);
  if (sourceDir !== undefined) {
    const base = CONTAINER_PATHS.source.slice(1);
    dirs.add(base);
    addParents(base);
    const walk = async (dir: string) => {
      for await (const entry of Deno.readDir(dir)) {
        const path = join(dir, entry.name);
        const inImage = join(base, relative(sourceDir, path));
        if (entry.isDirectory) {
          dirs.add(inImage);
          await walk(path);
        } else if (entry.isFile && /\.(ts|js|json)$/.test(entry.name)) {
          entries.push({ path: inImage, mode: 0o644, data: await Deno.readFile(path) });
        }
      }
    };
    await walk(sourceDir);
  }
  for (const dir of dirs) entries.push({ path: dir, mode: 0o755 });
  entries.sort((a, b) => compareBytes(a.path, b.path));
  for (const entry of entries) {
    records.push(
      entry.data === undefined
        ? { header: header(`${entry.path}/`, "directory", entry.mode, 0, entry.owner) }
        : { header: header(entry.path, "file", entry.mode, entry.data.length), data: entry.data },
    );
  }
  return encodeTar(records);
}

/**
 * Exports the image.
 *
 * @throws {UserError} when the target exists or cannot be written.
 */
export async function exportImage(options: ExportOptions): Promise<ExportResult> {
  if (await Deno.lstat(options.target).then(() => true, () => false)) {
    throw new UserError(`"${options.target}" already exists`, {
      hint: "Choose a new path; an export never overwrites",
    });
  }
  let created: string;
  try {
    created = sourceDate(options.env("SOURCE_DATE_EPOCH"));
  } catch (error) {
    throw new UserError((error as Error).message, {
      hint:
        "unset SOURCE_DATE_EPOCH, or set it to whole seconds: export SOURCE_DATE_EPOCH=$(date +%s)",
      exitCode: 2,
    });
  }
  const source = imageSource(options.env);
  const rootfsGz = await readTarball(source, await loadManifest(source));
  const rootfs = await blob(MEDIA_TYPES.layerGzip, rootfsGz);
  const program = await blob(
    MEDIA_TYPES.layerTar,
    await programLayer(options.binary, options.sourceDir),
  );
  const layers: Layer[] = [
    { blob: rootfs.descriptor, diffId: `sha256:${await webSha256Hex(await gunzip(rootfsGz))}` },
    { blob: program.descriptor, diffId: program.descriptor.digest },
  ];
  const imageProgram: ImageProgram = {
    kind: options.sourceDir === undefined ? "compiled" : "source",
    version: denoJson.version,
  };
  const config = await jsonBlob(
    MEDIA_TYPES.config,
    imageConfig(imageProgram, layers, Deno.build.arch, created),
  );
  const manifest = await jsonBlob(MEDIA_TYPES.manifest, imageManifest(config.descriptor, layers));
  const blobs = [rootfs, program, config, manifest];
  if (options.format === "oci") {
    await writeLayout(options.target, blobs, manifest.descriptor, options.tag);
  } else {
    await writeArchive(options.target, [rootfs, program, config], {
      "manifest.json": dockerArchiveManifest(config.descriptor, layers, options.tag),
    });
  }
  return {
    format: options.format,
    target: options.target,
    tag: options.tag,
    manifestDigest: manifest.descriptor.digest,
    layers: layers.map((l) => l.blob.digest),
  };
}

async function writeLayout(
  dir: string,
  blobs: Blob[],
  manifest: Descriptor,
  tag: string,
): Promise<void> {
  // Written beside the target and renamed: a failed export leaves nothing half-written.
  const temp = `${dir}.partial-${crypto.randomUUID().slice(0, 8)}`;
  try {
    await Deno.mkdir(join(temp, "blobs/sha256"), { recursive: true });
    for (const { descriptor, data } of blobs) {
      await Deno.writeFile(join(temp, blobPath(descriptor.digest)), data);
    }
    await Deno.writeTextFile(
      join(temp, "oci-layout"),
      JSON.stringify({ imageLayoutVersion: "1.0.0" }),
    );
    await Deno.writeTextFile(join(temp, "index.json"), JSON.stringify(layoutIndex(manifest, tag)));
    await Deno.rename(temp, dir);
  } catch (error) {
    await Deno.remove(temp, { recursive: true }).catch(() => {});
    throw new UserError(`Cannot write the image layout "${dir}": ${(error as Error).message}`);
  }
}

async function writeArchive(
  file: string,
  blobs: Blob[],
  json: Record<string, unknown>,
): Promise<void> {
  const header = (path: string, type: "file" | "directory", size = 0) => ({
    path,
    type,
    typeflag: type === "file" ? "0" : "5",
    mode: type === "file" ? 0o644 : 0o755,
    uid: 0,
    gid: 0,
    size,
    mtime: 0,
    linkname: "",
  });
  const records: TarRecord[] = [
    { header: header("blobs/", "directory") },
    { header: header("blobs/sha256/", "directory") },
  ];
  const sorted = [...blobs].sort((a, b) => compareBytes(a.descriptor.digest, b.descriptor.digest));
  for (const { descriptor, data } of sorted) {
    records.push({ header: header(blobPath(descriptor.digest), "file", data.length), data });
  }
  for (const [name, value] of Object.entries(json)) {
    const data = new TextEncoder().encode(JSON.stringify(value));
    records.push({ header: header(name, "file", data.length), data });
  }
  try {
    await atomicWriteFile(file, encodeTar(records), { mode: 0o644 });
  } catch (error) {
    throw new UserError(`Cannot write the archive "${file}": ${(error as Error).message}`);
  }
}
