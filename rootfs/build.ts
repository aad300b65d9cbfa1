/**
 * Builds the gateway rootfs image: `rootfs/dist/rootfs.tar.gz` and its
 * `rootfs/dist/manifest.json`. The image holds the runtime closure of the program running
 * this build (`Deno.execPath()`, bind-mounted into the container at launch), the files
 * under `rootfs/files/`, CA certificates from Debian's ca-certificates, the runtime's mount
 * points listed in `rootfs/image.json` and the gateway's own from its container contract.
 * Same inputs, same bytes.
 *
 *   deno run -A rootfs/build.ts [--out DIR] [--if-stale]
 *
 * `--if-stale` does nothing when the output already matches the current inputs.
 *
 * @module
 */
import { dirname, join, posix, relative } from "node:path";
import * as v from "valibot";
import { resolveClosure } from "../src/image/_closure.ts";
import { formatManifest, parseManifest } from "../src/image/_manifest.ts";
import { compareBytes, type ImageEntry, packImage } from "../src/image/pack_image.ts";
import { RootView } from "../src/image/_root_view.ts";
import { sha256Hex } from "../src/image/_sha256.ts";
import { CONTAINER_PATHS } from "../src/contract/container_contract.ts";
import { atomicWriteFile } from "../src/files/atomic_write.ts";

const HERE = import.meta.dirname!;
const REPO = dirname(HERE);
/** Sources whose change changes the output even when the image inputs do not. */
const BUILD_SOURCES = [
  "rootfs/build.ts",
  "src/image/pack_image.ts",
  "src/image/tar_format.ts",
  "src/image/_entry_rules.ts",
  "src/image/_manifest.ts",
  "src/contract/container_contract.ts",
];

const ImageSpecSchema = v.object({
  mountPoints: v.array(v.string()),
  libraries: v.array(v.string()),
  caCertificates: v.object({ source: v.string(), target: v.string() }),
});

/** Collects every entry of the image from the host and `rootfs/`. */
async function collectEntries(program: string): Promise<ImageEntry[]> {
  const spec = v.parse(
    ImageSpecSchema,
    JSON.parse(await Deno.readTextFile(join(HERE, "image.json"))),
  );
  const entries = new Map<string, ImageEntry>();
  const add = (entry: ImageEntry) => {
    if (entries.has(entry.path)) throw new Error(`Image path "${entry.path}" listed twice`);
    entries.set(entry.path, entry);
  };

  const gatewayDirs = [CONTAINER_PATHS.source, CONTAINER_PATHS.state, CONTAINER_PATHS.secrets];
  for (const path of [...spec.mountPoints, ...gatewayDirs.map((dir) => dir.slice(1))]) {
    add({ type: "directory", path, mode: 0o755 });
  }
  const programPath = CONTAINER_PATHS.binary;
  add({ type: "file", path: programPath.slice(1), mode: 0o755, data: new Uint8Array() });

  const filesDir = join(HERE, "files");
  for (const path of await listFiles(filesDir)) {
    const data = await Deno.readFile(join(filesDir, path));
    add({ type: "file", path, mode: 0o644, data });
  }

  const certDir = spec.caCertificates.source;
  const certNames = (await listFiles(certDir).catch(() => [])).filter((n) => n.endsWith(".crt"));
  if (certNames.length === 0) {
    throw new Error(`No CA certificates in "${certDir}": install Debian's ca-certificates package`);
  }
  const pems: string[] = [];
  for (const name of certNames.sort(compareBytes)) {
    const pem = await Deno.readTextFile(join(certDir, name));
    pems.push(pem.endsWith("\n") ? pem : `${pem}\n`);
  }
  add({
    type: "file",
    path: spec.caCertificates.target,
    mode: 0o644,
    data: new TextEncoder().encode(pems.join("")),
  });

  const closure = await resolveClosure(new RootView("/"), [
    { path: programPath, hostPath: program, extraNeeded: spec.libraries },
  ]);
  if (closure.missing.length > 0) {
    throw new Error(
      `The closure of "${program}" is incomplete on this host:\n  ${closure.missing.join("\n  ")}`,
    );
  }
  // One copy per host file: further image paths of the same file become relative symlinks.
  const byRealPath = new Map<string, string[]>();
  for (const object of closure.objects.values()) {
    if (object.path === programPath) continue;
    const real = await Deno.realPath(object.hostPath);
    byRealPath.set(real, [...(byRealPath.get(real) ?? []), object.path.slice(1)]);
  }
  for (const [real, paths] of [...byRealPath].sort(([a], [b]) => compareBytes(a, b))) {
    const [first, ...others] = paths.sort(compareBytes);
    const info = await Deno.stat(real);
    const mode = (info.mode ?? 0) & 0o111 ? 0o755 : 0o644;
    add({ type: "file", path: first!, mode, data: await Deno.readFile(real) });
    for (const other of others) {
      add({ type: "symlink", path: other, target: posix.relative(posix.dirname(other), first!) });
    }
  }

  for (const path of [...entries.keys()]) {
    for (let dir = posix.dirname(path); dir !== "."; dir = posix.dirname(dir)) {
      if (!entries.has(dir)) entries.set(dir, { type: "directory", path: dir, mode: 0o755 });
    }
  }
  return [...entries.values()].sort((a, b) => compareBytes(a.path, b.path));
}

async function listFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (current: string) => {
    for await (const entry of Deno.readDir(current)) {
      const full = join(current, entry.name);
      if (entry.isDirectory) await walk(full);
      else if (entry.isFile) found.push(relative(dir, full));
      else throw new Error(`Unsupported file in the image sources: "${full}"`);
    }
  };
  await walk(dir);
  return found;
}

/** The fingerprint of everything the output depends on. */
async function inputsDigest(entries: ImageEntry[]): Promise<string> {
  const parts: unknown[] = [];
  for (const source of BUILD_SOURCES) {
    parts.push([source, sha256Hex(await Deno.readFile(join(REPO, source)))]);
  }
  for (const entry of entries) {
    parts.push(
      entry.type === "file"
        ? [entry.path, entry.mode, sha256Hex(entry.data)]
        : entry.type === "directory"
        ? [entry.path, entry.mode]
        : [entry.path, entry.target],
    );
  }
  return sha256Hex(new TextEncoder().encode(JSON.stringify(parts)));
}

async function isCurrent(out: string, inputs: string): Promise<boolean> {
  try {
    const manifest = parseManifest(
      await Deno.readTextFile(join(out, "manifest.json")),
      join(out, "manifest.json"),
    );
    if (manifest.inputs !== inputs) return false;
    const tarball = await Deno.readFile(join(out, "rootfs.tar.gz"));
    return sha256Hex(tarball) === manifest.tarball.sha256;
  } catch {
    return false;
  }
}

async function main(args: string[]): Promise<number> {
  let out = join(HERE, "dist");
  let ifStale = false;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--out" && args[i + 1]) out = args[++i]!;
    else if (args[i] === "--if-stale") ifStale = true;
    else {
      console.error(
        `error: unknown argument "${args[i]}"\nusage: build.ts [--out DIR] [--if-stale]`,
      );
      return 2;
    }
  }
  const entries = await collectEntries(Deno.execPath());
  const inputs = await inputsDigest(entries);
  if (ifStale && await isCurrent(out, inputs)) return 0;
  console.error(`Building the gateway rootfs into "${out}"`);
  const { tarball, manifest } = packImage(entries, inputs);
  await Deno.mkdir(out, { recursive: true });
  await atomicWriteFile(join(out, "rootfs.tar.gz"), tarball);
  await atomicWriteFile(join(out, "manifest.json"), formatManifest(manifest));
  console.error(
    `Built rootfs ${manifest.tarball.sha256.slice(0, 12)}: ${manifest.fileCount} entries, ` +
      `${manifest.tarball.size} bytes`,
  );
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
