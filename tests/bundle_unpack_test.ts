import assert from "node:assert/strict";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import type { Manifest, ManifestEntry } from "../src/image/_manifest.ts";
import { type ImageEntry, packImage } from "../src/image/pack_image.ts";
import { removeTree } from "../src/files/remove_tree.ts";
import { sha256Hex } from "../src/image/_sha256.ts";
import { encodeTar, type TarRecord } from "../src/image/tar_format.ts";
import { unpackImage } from "../src/image/_unpack_image.ts";
import { UserError } from "../src/errors/user_error.ts";
import { createSandbox, type Sandbox } from "./_helpers/sandbox.ts";
import { listTree } from "./testdata/bundle/fixtures.ts";

const text = (value: string) => new TextEncoder().encode(value);
const SOURCE = { tarball: "test.tar.gz", manifest: "test.json" };

type RecordSpec = Partial<TarRecord["header"]> & { path: string; data?: Uint8Array };

function record(spec: RecordSpec): TarRecord {
  const { data, ...header } = spec;
  return {
    header: {
      type: "file",
      mode: 0o644,
      uid: 0,
      gid: 0,
      mtime: 0,
      linkname: "",
      size: data?.length ?? 0,
      ...header,
    },
    ...(data === undefined ? {} : { data }),
  };
}

/**
 * A tarball of exactly these records with a manifest that agrees with it wherever it can
 * (digest, sizes, counts, and every entry of a type the manifest can hold), so refusals
 * come from the entries themselves.
 */
function craft(
  specs: RecordSpec[],
  adjust: (manifest: Manifest) => void = () => {},
): { tarball: Uint8Array; manifest: Manifest } {
  const records = specs.map(record);
  const archive = encodeTar(records);
  const tarball = new Uint8Array(gzipSync(archive));
  const files: ManifestEntry[] = [];
  for (const { header, data } of records) {
    const path = header.path.replace(/\/$/, "");
    if (header.type === "directory") files.push({ type: "directory", path, mode: header.mode });
    else if (header.type === "symlink") {
      files.push({ type: "symlink", path, mode: 0o777, target: header.linkname });
    } else if (header.type === "file") {
      const content = data ?? new Uint8Array();
      files.push({
        type: "file",
        path,
        mode: header.mode,
        size: content.length,
        sha256: sha256Hex(content),
      });
    }
  }
  const manifest: Manifest = {
    format: 1,
    tarball: {
      sha256: sha256Hex(tarball),
      size: tarball.length,
      archiveSize: archive.length,
    },
    fileCount: records.length,
    contentSize: records.reduce((sum, { data }) => sum + (data?.length ?? 0), 0),
    inputs: "0".repeat(64),
    files,
  };
  adjust(manifest);
  return { tarball, manifest };
}

/** Unpacks into `<root>/out/dest`; asserts a refusal matching `problem`, no dest, nothing new. */
async function assertRefused(
  sandbox: Sandbox,
  image: { tarball: Uint8Array; manifest: Manifest },
  problem: RegExp,
): Promise<void> {
  await Deno.mkdir(join(sandbox.root, "out"), { recursive: true });
  await Deno.mkdir(join(sandbox.root, "victim"), { recursive: true });
  await Deno.writeTextFile(join(sandbox.root, "victim/target"), "original");
  const before = await listTree(sandbox.root);
  const dest = join(sandbox.root, "out/dest");
  const error = await unpackImage(image.tarball, image.manifest, dest, SOURCE).then(
    () => undefined,
    (error) => error,
  );
  assert.ok(error instanceof UserError, `expected a refusal, got ${error}`);
  assert.match(error.message, problem);
  assert.deepEqual(await listTree(sandbox.root), before, "the refusal left files behind");
  assert.equal(await Deno.readTextFile(join(sandbox.root, "victim/target")), "original");
}

const dir = (path: string, mode = 0o755): RecordSpec => ({
  path: `${path}/`,
  type: "directory",
  mode,
});

Deno.test("hostile tarballs are refused, naming the entry, with nothing written", async (t) => {
  await using sandbox = await createSandbox();
  const victim = join(sandbox.root, "victim");
  const cases: [string, RecordSpec[], RegExp][] = [
    ["absolute path", [{ path: `${victim}/pwned`, data: text("x") }], /absolute path/],
    [
      "parent path",
      [{ path: "../victim/pwned", data: text("x") }],
      /"\.\.\/victim\/pwned": path contains "\.\."/,
    ],
    [
      "nested parent path",
      [dir("a"), { path: "a/../../victim/pwned" }],
      /"a\/\.\.\/\.\.\/victim\/pwned"/,
    ],
    [
      "symlink escaping upwards, then a write through it",
      [dir("a"), { path: "a/link", type: "symlink", linkname: "../../victim" }, {
        path: "a/link/pwned",
      }],
      /"a\/link": symlink target "\.\.\/\.\.\/victim" escapes the image/,
    ],
    [
      "absolute symlink, then a write through it",
      [{ path: "link", type: "symlink", linkname: victim }, { path: "link/pwned" }],
      /"link": absolute symlink target/,
    ],
    [
      "write through an inside symlink",
      [dir("d"), { path: "s", type: "symlink", linkname: "d" }, { path: "s/pwned" }],
      /"s\/pwned": parent "s" is not a directory of the image/,
    ],
    [
      "hardlink",
      [{ path: "f", data: text("x") }, { path: "h", type: "hardlink", linkname: "f" }],
      /"h": hardlinks are not allowed/,
    ],
    [
      "hardlink to a host file",
      [{ path: "h", type: "hardlink", linkname: `${victim}/target` }],
      /"h": hardlinks are not allowed/,
    ],
    [
      "character device",
      [dir("dev"), { path: "dev/null", type: "character device" }],
      /"dev\/null": device nodes/,
    ],
    ["block device", [{ path: "sda", type: "block device" }], /"sda": device nodes/],
    ["FIFO", [{ path: "pipe", type: "FIFO" }], /"pipe": FIFOs are not allowed/],
    ["setuid file", [{ path: "su", mode: 0o4755, data: text("x") }], /"su": setuid bit/],
    ["setgid directory", [dir("g", 0o2755)], /"g\/": setgid bit/],
    [
      "pax extension header",
      [{ path: "pax", type: "other", typeflag: "x", data: text("") }],
      /unsupported entry type "x"/,
    ],
    [
      "duplicate entry",
      [{ path: "f", data: text("a") }, { path: "f", data: text("a") }],
      /"f": duplicate entry/,
    ],
  ];
  for (const [name, specs, problem] of cases) {
    await t.step(name, () => assertRefused(sandbox, craft(specs), problem));
  }
});

Deno.test("more entries or bytes than the manifest says are refused", async (t) => {
  await using sandbox = await createSandbox();
  const specs = [dir("a"), { path: "a/one", data: text("1111") }, {
    path: "a/two",
    data: text("22"),
  }];
  await t.step("one entry more", async () => {
    const image = craft(specs, (manifest) => {
      manifest.fileCount = 2;
      manifest.files.pop();
    });
    await assertRefused(sandbox, image, /"a\/two": more entries than the manifest's 2/);
  });
  await t.step("an entry missing from the manifest", async () => {
    const image = craft(specs, (manifest) => void manifest.files.pop());
    await assertRefused(sandbox, image, /"a\/two": not in the manifest/);
  });
  await t.step("more content bytes", async () => {
    const image = craft(specs, (manifest) => void (manifest.contentSize = 5));
    await assertRefused(sandbox, image, /"a\/two": more bytes than the manifest's 5/);
  });
  await t.step("a larger file", async () => {
    const image = craft(specs, (manifest) => {
      const file = manifest.files[1]!;
      if (file.type === "file") file.size = 3;
    });
    await assertRefused(sandbox, image, /"a\/one": 4 bytes, manifest 3/);
  });
  await t.step("more archive bytes than the decompression bound", async () => {
    const image = craft(specs, (manifest) => void (manifest.tarball.archiveSize = 1024));
    await assertRefused(sandbox, image, /more bytes than the manifest's 1024/);
  });
  await t.step("fewer entries", async () => {
    const image = craft(specs, (manifest) => {
      manifest.fileCount = 4;
      manifest.files.push({ type: "directory", path: "b", mode: 0o755 });
    });
    await assertRefused(sandbox, image, /3 entries, manifest 4/);
  });
});

Deno.test("a tarball that differs from its manifest is refused before anything is written", async (t) => {
  await using sandbox = await createSandbox();
  const specs = [dir("a"), { path: "a/f", data: text("content") }];
  await t.step("digest", async () => {
    const image = craft(specs);
    image.tarball[image.tarball.length - 1] = image.tarball[image.tarball.length - 1]! ^ 0xff;
    await assertRefused(sandbox, image, /sha256 [0-9a-f]{64} does not match the manifest's/);
  });
  await t.step("size", async () => {
    const image = craft(specs, (manifest) => void (manifest.tarball.size += 1));
    await assertRefused(sandbox, image, /size \d+ does not match the manifest's \d+/);
  });
  await t.step("file content", async () => {
    const image = craft(specs, (manifest) => {
      const file = manifest.files[1]!;
      if (file.type === "file") file.sha256 = "f".repeat(64);
    });
    await assertRefused(sandbox, image, /"a\/f": content does not match the manifest's sha256/);
  });
  await t.step("mode", async () => {
    const image = craft(specs, (manifest) => void (manifest.files[1]!.mode = 0o755));
    await assertRefused(sandbox, image, /"a\/f": mode 0644, manifest 0755/);
  });
  await t.step("type", async () => {
    const image = craft(specs, (manifest) => {
      manifest.files[1] = { type: "directory", path: "a/f", mode: 0o644 };
    });
    await assertRefused(sandbox, image, /"a\/f": file where the manifest has a directory/);
  });
  await t.step("symlink target", async () => {
    const image = craft([dir("a"), { path: "a/l", type: "symlink", linkname: "x" }], (m) => {
      m.files[1] = { type: "symlink", path: "a/l", mode: 0o777, target: "y" };
    });
    await assertRefused(sandbox, image, /"a\/l": symlink target differs/);
  });
  await t.step("trailing garbage", async () => {
    const records = [record(dir("a"))];
    const archive = encodeTar(records);
    archive[archive.length - 1] = 1;
    const tarball = new Uint8Array(gzipSync(archive));
    const image = craft([dir("a")], (manifest) => {
      manifest.tarball = {
        sha256: "",
        size: tarball.length,
        archiveSize: archive.length,
      };
    });
    image.tarball = tarball;
    image.manifest.tarball.sha256 = sha256Hex(tarball);
    await assertRefused(sandbox, image, /data after the end-of-archive marker/);
  });
});

Deno.test("a good image unpacks with its modes, 0555 directories included, and is removable", async () => {
  await using sandbox = await createSandbox();
  const entries: ImageEntry[] = [
    { type: "directory", path: "ro", mode: 0o555 },
    { type: "directory", path: "ro/inner", mode: 0o750 },
    { type: "file", path: "ro/inner/tool", mode: 0o755, data: text("#!/bin/sh\n") },
    { type: "file", path: "ro/data", mode: 0o444, data: text("data") },
    { type: "symlink", path: "ro/link", target: "inner/tool" },
    { type: "directory", path: "tmp", mode: 0o755 },
  ];
  const image = packImage(entries, "0".repeat(64));
  const dest = join(sandbox.root, "dest");
  await unpackImage(image.tarball, image.manifest, dest, SOURCE);
  const mode = async (path: string) => ((await Deno.lstat(join(dest, path))).mode ?? 0) & 0o7777;
  assert.equal(await mode(""), 0o755);
  assert.equal(await mode("ro"), 0o555);
  assert.equal(await mode("ro/inner"), 0o750);
  assert.equal(await mode("ro/inner/tool"), 0o755);
  assert.equal(await mode("ro/data"), 0o444);
  assert.equal(await Deno.readLink(join(dest, "ro/link")), "inner/tool");
  assert.equal(await Deno.readTextFile(join(dest, "ro/link")), "#!/bin/sh\n");
  assert.deepEqual(await listTree(dest), [
    "ro",
    "ro/data",
    "ro/inner",
    "ro/inner/tool",
    "ro/link",
    "tmp",
  ]);
  await removeTree(dest);
  await assert.rejects(Deno.lstat(dest), Deno.errors.NotFound);
});
