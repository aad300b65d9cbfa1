import assert from "node:assert/strict";
import { join } from "node:path";
import {
  librarySearchDirs,
  type LoadedObject,
  resolveClosure,
  systemLibraryDirs,
} from "../src/image/_closure.ts";
import type { ElfInfo } from "../src/image/_elf.ts";
import { RootView } from "../src/image/_root_view.ts";
import { verifyClosure } from "../src/image/verify_closure.ts";
import { createSandbox, type Sandbox } from "./_helpers/sandbox.ts";
import { buildElfFixtures, TOOLCHAIN } from "./testdata/bundle/fixtures.ts";

const GNU = "/lib/x86_64-linux-gnu";

function object(path: string, info: Partial<ElfInfo> = {}): LoadedObject {
  return {
    path,
    hostPath: path,
    info: {
      bits: 64,
      endian: "little",
      machine: 62,
      type: 3,
      interpreter: undefined,
      needed: [],
      runpath: undefined,
      rpath: undefined,
      soname: undefined,
      ...info,
    },
  };
}

/** Compiles the ELF fixture programs and libraries into `<sandbox>/build`; returns that dir. */
async function builtElfFixtures(sandbox: Sandbox): Promise<string> {
  const build = join(sandbox.root, "build");
  await Deno.mkdir(build);
  await buildElfFixtures(build);
  return build;
}

Deno.test("systemLibraryDirs: multiarch first, lib64 only for 64-bit", () => {
  assert.deepEqual(systemLibraryDirs({ bits: 64, machine: 62 }), [
    GNU,
    "/usr/lib/x86_64-linux-gnu",
    "/lib64",
    "/usr/lib64",
    "/lib",
    "/usr/lib",
  ]);
  assert.deepEqual(systemLibraryDirs({ bits: 32, machine: 3 }), [
    "/lib/i386-linux-gnu",
    "/usr/lib/i386-linux-gnu",
    "/lib",
    "/usr/lib",
  ]);
  assert.deepEqual(systemLibraryDirs({ bits: 64, machine: 9999 }), [
    "/lib64",
    "/usr/lib64",
    "/lib",
    "/usr/lib",
  ]);
});

Deno.test("librarySearchDirs: RPATH (own, then the executable's) before RUNPATH-less defaults", () => {
  const exe = object("/opt/app/bin/app", { rpath: ["$ORIGIN/../lib"] });
  const lib = object("/opt/app/lib/liba.so", { rpath: ["${ORIGIN}/plugins", "relative/dir"] });
  const dirs = librarySearchDirs(lib, exe);
  assert.deepEqual(dirs.slice(0, 2), ["/opt/app/lib/plugins", "/opt/app/lib"]);
  assert.deepEqual(dirs.slice(2), systemLibraryDirs(lib.info));
});

Deno.test("librarySearchDirs: DT_RUNPATH disables DT_RPATH, own and inherited", () => {
  const exe = object("/opt/app/bin/app", { rpath: ["/exe/rpath"] });
  const lib = object("/opt/app/lib/liba.so", { rpath: ["/own/rpath"], runpath: ["$ORIGIN"] });
  assert.deepEqual(librarySearchDirs(lib, exe), ["/opt/app/lib", ...systemLibraryDirs(lib.info)]);
});

Deno.test("librarySearchDirs: $LIB, $PLATFORM and relative entries are not searched", () => {
  const exe = object("/bin/app", { runpath: ["/x/$LIB", "$PLATFORM/y", "z", "/ok/../fine"] });
  assert.deepEqual(librarySearchDirs(exe, exe), ["/fine", ...systemLibraryDirs(exe.info)]);
});

Deno.test("RootView resolves symlinks inside the root, absolute ones too, never above it", async () => {
  await using sandbox = await createSandbox();
  const root = join(sandbox.root, "image");
  await Deno.mkdir(join(root, "lib/x"), { recursive: true });
  await Deno.writeTextFile(join(root, "lib/x/real.so"), "");
  await Deno.writeTextFile(join(sandbox.root, "outside.so"), "");
  await Deno.symlink("/lib/x/real.so", join(root, "lib/abs.so"));
  await Deno.symlink("x/real.so", join(root, "lib/rel.so"));
  await Deno.symlink("../../../../outside.so", join(root, "lib/up.so"));
  await Deno.symlink("loop.so", join(root, "lib/loop.so"));
  await Deno.symlink("lib", join(root, "lib64"));
  const view = new RootView(root);
  assert.deepEqual(await view.resolveFile("/lib/abs.so"), {
    canonical: "/lib/x/real.so",
    hostPath: join(root, "lib/x/real.so"),
  });
  assert.equal((await view.resolveFile("/lib64/rel.so"))?.canonical, "/lib/x/real.so");
  assert.equal((await view.resolveFile("/../../lib/x/real.so"))?.canonical, "/lib/x/real.so");
  assert.equal(await view.resolveFile("/lib/up.so"), undefined);
  assert.equal(await view.resolveFile("/lib/loop.so"), undefined);
  assert.equal(await view.resolveFile("/lib/x"), undefined);
  assert.equal(await view.resolveFile("/lib/x/real.so/more"), undefined);
});

Deno.test("resolveClosure finds libraries through RUNPATH and RPATH with $ORIGIN", {
  ignore: !TOOLCHAIN,
}, async () => {
  await using sandbox = await createSandbox();
  const build = await builtElfFixtures(sandbox);
  const root = join(sandbox.root, "image");
  await Deno.mkdir(join(root, "app/bin/lib"), { recursive: true });
  await Deno.mkdir(join(root, "app/lib"), { recursive: true });
  await Deno.mkdir(join(root, GNU), { recursive: true });
  await Deno.mkdir(join(root, "lib64"));
  for (const name of ["libc.so.6", "ld-linux-x86-64.so.2"]) {
    await Deno.copyFile(join(GNU, name), join(root, GNU, name));
  }
  await Deno.symlink(
    "../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
    join(root, "lib64/ld-linux-x86-64.so.2"),
  );
  await Deno.copyFile(join(build, "runpath"), join(root, "app/bin/runpath"));
  await Deno.copyFile(join(build, "rpath"), join(root, "app/bin/rpath"));
  const view = new RootView(root);
  const roots = [
    { path: "/app/bin/runpath", hostPath: join(root, "app/bin/runpath") },
    { path: "/app/bin/rpath", hostPath: join(root, "app/bin/rpath") },
  ];

  const none = await resolveClosure(view, roots);
  assert.deepEqual(none.missing, [
    "libl.so (needed by /app/bin/runpath): not found",
    "libl.so (needed by /app/bin/rpath): not found",
  ]);

  await Deno.copyFile(join(build, "libl.so"), join(root, "app/lib/libl.so"));
  await Deno.copyFile(join(build, "libl.so"), join(root, "app/bin/lib/libl.so"));
  const both = await resolveClosure(view, roots);
  assert.deepEqual(both.missing, []);
  assert.ok(both.objects.has("/app/lib/libl.so"));
  assert.ok(both.objects.has("/app/bin/lib/libl.so"));
  assert.ok(both.objects.has("/lib64/ld-linux-x86-64.so.2"));
  assert.ok(both.objects.has(`${GNU}/ld-linux-x86-64.so.2`));
});

Deno.test("resolveClosure skips a library of another class or machine, and says so", {
  ignore: !TOOLCHAIN,
}, async () => {
  await using sandbox = await createSandbox();
  const build = await builtElfFixtures(sandbox);
  const root = join(sandbox.root, "image");
  await Deno.mkdir(join(root, GNU), { recursive: true });
  await Deno.mkdir(join(root, "lib64"));
  await Deno.copyFile(join(GNU, "ld-linux-x86-64.so.2"), join(root, "lib64/ld-linux-x86-64.so.2"));
  // A 32-bit library under the name the program needs.
  await Deno.copyFile(join(build, "libx32.so"), join(root, GNU, "libl.so"));
  // libc with e_machine changed to AArch64 (183).
  const libc = await Deno.readFile(join(GNU, "libc.so.6"));
  libc[18] = 183;
  libc[19] = 0;
  await Deno.writeFile(join(root, GNU, "libc.so.6"), libc);
  const result = await resolveClosure(new RootView(root), [
    { path: "/bin/runpath", hostPath: join(build, "runpath") },
  ]);
  assert.deepEqual(result.missing, [
    `libl.so (needed by /bin/runpath): "${GNU}/libl.so" is ELFCLASS32 machine 3, wanted ELFCLASS64 machine 62`,
    `libc.so.6 (needed by /bin/runpath): "${GNU}/libc.so.6" is ELFCLASS64 machine 183, wanted ELFCLASS64 machine 62`,
  ]);
});

Deno.test("verifyClosure reports a missing interpreter and an unparsable program", async () => {
  await using sandbox = await createSandbox();
  const root = join(sandbox.root, "image");
  await Deno.mkdir(root);
  const empty = await verifyClosure(root, Deno.execPath());
  assert.equal(empty.ok, false);
  assert.ok(
    empty.missing.includes(
      "/lib64/ld-linux-x86-64.so.2 (interpreter of /usr/local/bin/openshell): not found",
    ),
    empty.missing.join("\n"),
  );
  assert.ok(empty.missing.includes("libc.so.6 (needed by /usr/local/bin/openshell): not found"));
  const script = join(sandbox.root, "script.sh");
  await Deno.writeTextFile(script, "#!/bin/sh\n");
  const notElf = await verifyClosure(root, script);
  assert.deepEqual(notElf.missing, ["/usr/local/bin/openshell: Not an ELF file: bad magic number"]);
});
