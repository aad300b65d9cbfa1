import assert from "node:assert/strict";
import { join } from "node:path";
import { hasElfMagic, parseElf, readElfFile } from "../src/image/_elf.ts";
import { createSandbox } from "./_helpers/sandbox.ts";
import { buildElfFixtures, TOOLCHAIN } from "./testdata/bundle/fixtures.ts";

const bytesReader = (bytes: Uint8Array) => (offset: number, length: number) =>
  bytes.subarray(offset, offset + length);

Deno.test("parseElf reads the running deno binary: x86-64 PIE with interpreter and glibc needs", () => {
  const info = readElfFile(Deno.execPath());
  assert.equal(info.bits, 64);
  assert.equal(info.endian, "little");
  assert.equal(info.machine, 62);
  assert.equal(info.interpreter, "/lib64/ld-linux-x86-64.so.2");
  assert.ok(info.needed.includes("libc.so.6"), info.needed.join(","));
  assert.ok(info.needed.includes("libm.so.6"), info.needed.join(","));
});

Deno.test("parseElf reads libc: soname, the loader as DT_NEEDED, no interpreter", () => {
  const info = readElfFile("/lib/x86_64-linux-gnu/libc.so.6");
  assert.equal(info.soname, "libc.so.6");
  assert.deepEqual(info.needed, ["ld-linux-x86-64.so.2"]);
  assert.equal(info.type, 3);
});

Deno.test(
  "parseElf reads RUNPATH, RPATH and ELF32 from files the toolchain built",
  { ignore: !TOOLCHAIN },
  async () => {
    await using sandbox = await createSandbox();
    await buildElfFixtures(sandbox.root);
    const runpath = readElfFile(join(sandbox.root, "runpath"));
    assert.deepEqual(runpath.needed, ["libl.so", "libc.so.6"]);
    assert.deepEqual(runpath.runpath, ["$ORIGIN/../lib"]);
    assert.equal(runpath.rpath, undefined);
    const rpath = readElfFile(join(sandbox.root, "rpath"));
    assert.deepEqual(rpath.rpath, ["$ORIGIN/lib"]);
    assert.equal(rpath.runpath, undefined);
    const lib = readElfFile(join(sandbox.root, "libl.so"));
    assert.equal(lib.soname, "libl.so");
    const x32 = readElfFile(join(sandbox.root, "libx32.so"));
    assert.equal(x32.bits, 32);
    assert.equal(x32.machine, 3);
    assert.equal(x32.soname, "libx32.so.1");
    assert.deepEqual(x32.needed, []);
  },
);

Deno.test("parseElf refuses what is not ELF or is cut short", () => {
  assert.throws(() => parseElf(bytesReader(new TextEncoder().encode("#!/bin/sh\n"))), /bad magic/);
  const libc = Deno.readFileSync("/lib/x86_64-linux-gnu/libc.so.6");
  assert.throws(() => parseElf(bytesReader(libc.subarray(0, 40))), /truncated header/);
  assert.throws(() => parseElf(bytesReader(libc.subarray(0, 4096))), /beyond the end of the file/);
  const badClass = libc.slice(0, 4096);
  badClass[4] = 7;
  assert.throws(() => parseElf(bytesReader(badClass)), /bad class 7/);
  assert.equal(hasElfMagic(libc), true);
  assert.equal(hasElfMagic(new Uint8Array([0x7f, 0x45])), false);
});
