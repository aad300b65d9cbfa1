import assert from "node:assert/strict";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { checkEntryPath, checkSymlinkTarget, checkTarEntry } from "../src/image/_entry_rules.ts";
import { compareBytes, type ImageEntry, packImage } from "../src/image/pack_image.ts";
import { decodeTarHeader, encodeTarHeader, type TarHeader } from "../src/image/tar_format.ts";
import { createSandbox } from "./_helpers/sandbox.ts";
import { run } from "./testdata/bundle/fixtures.ts";

const INPUTS = "0".repeat(64);
const text = (value: string) => new TextEncoder().encode(value);

Deno.test("checkEntryPath accepts plain relative paths only", () => {
  for (const good of ["etc", "etc/passwd", "usr/local/bin/openshell", "a..b", ".hidden"]) {
    assert.equal(checkEntryPath(good), undefined, good);
  }
  const bad: [string, RegExp][] = [
    ["", /empty path/],
    ["/etc/passwd", /absolute/],
    ["../x", /\.\./],
    ["a/../../x", /\.\./],
    ["a/..", /\.\./],
    ["./a", /"\."/],
    ["a//b", /empty path component/],
    ["a/", /empty path component/],
    ["a\0b", /NUL/],
  ];
  for (const [path, problem] of bad) assert.match(checkEntryPath(path) ?? "", problem, path);
});

Deno.test("checkSymlinkTarget keeps links inside the image", () => {
  const good: [string, string][] = [
    ["lib64/ld.so", "../lib/ld.so"],
    ["a/b/c", "../../x/y"],
    ["a/b", "c"],
    ["top", "x"],
  ];
  for (const [link, target] of good) assert.equal(checkSymlinkTarget(link, target), undefined);
  const bad: [string, string, RegExp][] = [
    ["top", "../x", /escapes/],
    ["a/b", "../../x", /escapes/],
    ["a/b", "/etc/passwd", /absolute/],
    ["a/b", "x/../../..", /not a normalised/],
    ["a/b", "..", /not a normalised/],
    ["a/b", "./x", /not a normalised/],
    ["a/b", "x//y", /not a normalised/],
    ["a/b", "", /empty/],
  ];
  for (const [link, target, problem] of bad) {
    assert.match(checkSymlinkTarget(link, target) ?? "", problem, `${link} -> ${target}`);
  }
});

Deno.test("checkTarEntry refuses every entry kind and mode the rootfs does not need", () => {
  const header = (over: Partial<TarHeader>): TarHeader => ({
    path: "x",
    type: "file",
    typeflag: "0",
    mode: 0o644,
    uid: 0,
    gid: 0,
    size: 0,
    mtime: 0,
    linkname: "",
    ...over,
  });
  const state = () => ({ directories: new Set(["d"]), paths: new Set(["d", "d/f", "s"]) });
  const cases: [Partial<TarHeader>, RegExp | string][] = [
    [{}, "x"],
    [{ path: "d/", type: "directory", typeflag: "5" }, /duplicate/],
    [{ path: "e/", type: "directory", typeflag: "5", mode: 0o555 }, "e"],
    [{ path: "d/g" }, "d/g"],
    [{ path: "d/f" }, /duplicate/],
    [{ path: "s/f" }, /parent "s" is not a directory/],
    [{ path: "nodir/f" }, /parent "nodir"/],
    [{ type: "hardlink", typeflag: "1", linkname: "d/f" }, /hardlinks/],
    [{ type: "character device", typeflag: "3" }, /device/],
    [{ type: "block device", typeflag: "4" }, /device/],
    [{ type: "FIFO", typeflag: "6" }, /FIFO/],
    [{ type: "other", typeflag: "x" }, /unsupported entry type "x"/],
    [{ type: "other", typeflag: "L" }, /unsupported entry type "L"/],
    [{ mode: 0o4755 }, /setuid/],
    [{ mode: 0o2755 }, /setgid/],
    [{ mode: 0o1777 }, /sticky/],
    [{ type: "symlink", typeflag: "2", linkname: "d/f" }, "x"],
    [{ type: "symlink", typeflag: "2", linkname: "../etc" }, /escapes/],
    [{ type: "symlink", typeflag: "2", linkname: "d", size: 3 }, /symlink with 3 bytes/],
    [{ path: "/abs" }, /absolute/],
    [{ path: "../up" }, /\.\./],
  ];
  for (const [over, expected] of cases) {
    const result = checkTarEntry(header(over), state());
    if (typeof expected === "string") {
      assert.deepEqual(result, { path: expected }, JSON.stringify(over));
    } else assert.match("problem" in result ? result.problem : "", expected, JSON.stringify(over));
  }
});

Deno.test("tar headers round-trip, long paths use the ustar prefix, bad checksums are refused", () => {
  const long = `${"d".repeat(120)}/${"f".repeat(90)}`;
  const header = {
    path: long,
    type: "file" as const,
    mode: 0o755,
    uid: 0,
    gid: 0,
    size: 12345,
    mtime: 0,
    linkname: "",
  };
  const block = encodeTarHeader(header);
  assert.deepEqual(decodeTarHeader(block), { ...header, typeflag: "0" });
  assert.equal(decodeTarHeader(new Uint8Array(512)), undefined);
  const corrupt = block.slice();
  corrupt[0] = corrupt[0]! ^ 1;
  assert.throws(() => decodeTarHeader(corrupt), /checksum/);
  assert.throws(() => encodeTarHeader({ ...header, path: "x".repeat(300) }), /too long/);
});

Deno.test("compareBytes puts a directory before its contents", () => {
  const paths = ["a-b", "a/b", "a", "a/b/c", "ab", "B"];
  assert.deepEqual([...paths].sort(compareBytes), ["B", "a", "a/b", "a/b/c", "a-b", "ab"]);
});

Deno.test("packImage is deterministic and GNU tar reads it as written", async () => {
  await using sandbox = await createSandbox();
  const entries: ImageEntry[] = [
    { type: "file", path: "etc/hosts", mode: 0o644, data: text("127.0.0.1 localhost\n") },
    { type: "directory", path: "etc", mode: 0o755 },
    { type: "symlink", path: "etc/alias", target: "hosts" },
    { type: "directory", path: "ro", mode: 0o555 },
    { type: "file", path: "ro/tool", mode: 0o755, data: text("#!/bin/sh\n") },
  ];
  const first = packImage(entries, INPUTS);
  const second = packImage([...entries].reverse(), INPUTS);
  assert.deepEqual(first.tarball, second.tarball);
  assert.deepEqual(first.manifest, second.manifest);
  assert.equal(first.manifest.fileCount, 5);
  assert.equal(first.manifest.contentSize, 30);
  assert.equal(gunzipSync(first.tarball).length, first.manifest.tarball.archiveSize);
  const path = join(sandbox.root, "image.tar.gz");
  await Deno.writeFile(path, first.tarball);
  const listing = await run("tar", ["--numeric-owner", "-tvzf", path]);
  const rows = listing.trim().split("\n").map((line) => {
    const fields = line.split(/\s+/);
    return [fields[0], fields[1], fields[3], ...fields.slice(5)].join(" ");
  });
  assert.deepEqual(rows, [
    "drwxr-xr-x 0/0 1970-01-01 etc/",
    "lrwxrwxrwx 0/0 1970-01-01 etc/alias -> hosts",
    "-rw-r--r-- 0/0 1970-01-01 etc/hosts",
    "dr-xr-xr-x 0/0 1970-01-01 ro/",
    "-rwxr-xr-x 0/0 1970-01-01 ro/tool",
  ]);
});

Deno.test("packImage refuses entries extraction would refuse", () => {
  const dir = { type: "directory" as const, path: "a", mode: 0o755 };
  const cases: [ImageEntry[], RegExp][] = [
    [[{ type: "file", path: "/abs", mode: 0o644, data: text("") }], /"\/abs": absolute path/],
    [[{ type: "file", path: "a/f", mode: 0o644, data: text("") }], /parent directory/],
    [[dir, { type: "symlink", path: "a/l", target: "../../x" }], /escapes/],
    [[{ type: "file", path: "f", mode: 0o4755, data: text("") }], /setuid/],
    [[dir, { ...dir }], /duplicate/],
  ];
  for (const [entries, problem] of cases) assert.throws(() => packImage(entries, INPUTS), problem);
});
