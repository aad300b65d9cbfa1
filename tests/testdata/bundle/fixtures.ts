/**
 * Shared pieces of the rootfs tests: building real ELF files with the host toolchain,
 * building the real image, writing test images, listing trees.
 *
 * @module
 */
import { join } from "node:path";
import { REPO } from "../../_helpers/sandbox.ts";
import { formatManifest } from "../../../src/image/_manifest.ts";
import type { ImageEntry, PackedImage } from "../../../src/image/pack_image.ts";

/** Whether gcc, as and ld are installed (Debian build-essential; youki's build needs it too). */
export const TOOLCHAIN = ["gcc", "as", "ld"].every((tool) => {
  try {
    return new Deno.Command(tool, { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
});
if (!TOOLCHAIN) console.error("gcc/as/ld not installed: ELF toolchain tests are skipped");

/** Runs a command, failing with its stderr when it fails. */
export async function run(command: string, args: string[], cwd?: string): Promise<string> {
  const output = await new Deno.Command(command, {
    args,
    ...(cwd === undefined ? {} : { cwd }),
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  if (!output.success) {
    throw new Error(`${command} ${args.join(" ")} failed: ${decoder.decode(output.stderr)}`);
  }
  return decoder.decode(output.stdout);
}

/**
 * Builds real ELF files in `dir` with the host toolchain:
 * `libl.so` (x86-64 shared library, soname libl.so), `runpath` (needs libl.so, RUNPATH
 * `$ORIGIN/../lib`), `rpath` (needs libl.so, RPATH `$ORIGIN/lib`) and `libx32.so`
 * (ELF32 i386, soname libx32.so.1).
 */
export async function buildElfFixtures(dir: string): Promise<void> {
  await Deno.writeTextFile(join(dir, "l.c"), "int f(void) { return 1; }\n");
  await Deno.writeTextFile(join(dir, "m.c"), "int f(void);\nint main(void) { return f(); }\n");
  await Deno.writeTextFile(join(dir, "x32.s"), "\n");
  await run("gcc", ["-shared", "-fPIC", "-Wl,-soname,libl.so", "-o", "libl.so", "l.c"], dir);
  await run("gcc", [
    "-o",
    "runpath",
    "m.c",
    "-L.",
    "-ll",
    "-Wl,--enable-new-dtags,-rpath,$ORIGIN/../lib",
  ], dir);
  await run("gcc", [
    "-o",
    "rpath",
    "m.c",
    "-L.",
    "-ll",
    "-Wl,--disable-new-dtags,-rpath,$ORIGIN/lib",
  ], dir);
  await run("as", ["--32", "-o", "x32.o", "x32.s"], dir);
  await run("ld", [
    "-m",
    "elf_i386",
    "-shared",
    "-soname",
    "libx32.so.1",
    "-o",
    "libx32.so",
    "x32.o",
  ], dir);
}

let built: Promise<void> | undefined;

/** Builds the real image into rootfs/dist when missing or stale (once per test process). */
export function ensureImageBuilt(): Promise<void> {
  built ??= run(Deno.execPath(), ["run", "-A", "--quiet", "rootfs/build.ts", "--if-stale"], REPO)
    .then(() => {});
  return built;
}

/** Writes a packed image as `rootfs.tar.gz` + `manifest.json` into a new `dir`. */
export async function writeImage(dir: string, image: PackedImage): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeFile(join(dir, "rootfs.tar.gz"), image.tarball);
  await Deno.writeTextFile(join(dir, "manifest.json"), formatManifest(image.manifest));
}

/** Every path under `root` (relative, sorted), symlinks not followed. */
export async function listTree(root: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string, prefix: string) => {
    for await (const item of Deno.readDir(dir)) {
      const path = prefix ? `${prefix}/${item.name}` : item.name;
      found.push(path);
      if (item.isDirectory) await walk(join(dir, item.name), path);
    }
  };
  await walk(root, "");
  return found.sort();
}

/**
 * Entries of a synthetic image big enough that unpacking it takes a while (thousands of
 * small files), for the concurrency and interruption tests.
 */
export function largeImageEntries(files: number): ImageEntry[] {
  const entries: ImageEntry[] = [{ type: "directory", path: "data", mode: 0o755 }];
  const filler = new TextEncoder().encode("openshell rootfs test data\n".repeat(40));
  for (let dir = 0; dir < files / 500; dir++) {
    entries.push({ type: "directory", path: `data/${dir}`, mode: 0o555 });
    for (let file = 0; file < 500 && dir * 500 + file < files; file++) {
      const data = new Uint8Array(filler.length + 8);
      data.set(filler);
      data.set(new TextEncoder().encode(String(dir * 500 + file).padStart(8, "0")), filler.length);
      entries.push({ type: "file", path: `data/${dir}/${file}`, mode: 0o644, data });
    }
  }
  return entries;
}
