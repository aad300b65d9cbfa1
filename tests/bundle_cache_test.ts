import assert from "node:assert/strict";
import { basename, dirname, join } from "node:path";
import { parseManifest } from "../src/image/_manifest.ts";
import { packImage } from "../src/image/pack_image.ts";
import { verifyEntryClosure } from "../src/image/rootfs_cache.ts";
import { runCommand } from "./_helpers/run_command.ts";
import { cliArgv, createSandbox, REPO, runCli, type Sandbox } from "./_helpers/sandbox.ts";
import { sharedCliArgv } from "./_helpers/shared_checkout.ts";
import { asUser, TEST_USER, userIds } from "./_helpers/test_users.ts";
import {
  ensureImageBuilt,
  largeImageEntries,
  listTree,
  writeImage,
} from "./testdata/bundle/fixtures.ts";

const DIST = join(REPO, "rootfs/dist");

async function realManifest() {
  await ensureImageBuilt();
  const path = join(DIST, "manifest.json");
  return parseManifest(await Deno.readTextFile(path), path);
}

async function writeLargeImage(sandbox: Sandbox): Promise<{ dir: string; digest: string }> {
  const image = packImage(largeImageEntries(6000), "0".repeat(64));
  const dir = join(sandbox.root, "large-image");
  await writeImage(dir, image);
  return { dir, digest: image.manifest.tarball.sha256 };
}

function modeOf(info: Deno.FileInfo): number {
  return (info.mode ?? 0) & 0o7777;
}

Deno.test("bundle inspect and unpack: a read-only, content-addressed cache entry", async () => {
  await using sandbox = await createSandbox();
  const manifest = await realManifest();
  const digest = manifest.tarball.sha256;
  const entry = join(sandbox.cache, "openshell/rootfs", digest);

  const before = await runCli(sandbox, ["bundle", "inspect", "-o", "json"]);
  assert.equal(before.code, 0, before.stderr);
  assert.deepEqual(JSON.parse(before.stdout), {
    digest,
    size: manifest.tarball.size,
    files: manifest.fileCount,
    content_size: manifest.contentSize,
    tarball: join(DIST, "rootfs.tar.gz"),
    manifest: join(DIST, "manifest.json"),
    cache_path: join(entry, "rootfs"),
    unpacked: false,
  });

  const unpack = await runCli(sandbox, ["bundle", "unpack"]);
  assert.equal(unpack.code, 0, unpack.stderr);
  assert.equal(unpack.stdout, `${join(entry, "rootfs")}\n`);
  assert.match(unpack.stderr, /Unpacking the gateway rootfs/);

  const again = await runCli(sandbox, ["bundle", "unpack", "-o", "json"]);
  assert.equal(again.code, 0, again.stderr);
  assert.deepEqual(JSON.parse(again.stdout), { path: join(entry, "rootfs"), digest });
  assert.equal(again.stderr, "", "a cache hit does no work and says nothing");

  const after = await runCli(sandbox, ["bundle", "inspect"]);
  assert.match(after.stdout, /unpacked: {3}yes/);
  assert.match(after.stdout, new RegExp(`digest: {5}${digest}`));

  // Other uids (the container's root) traverse the cache down to the entry.
  assert.equal(modeOf(await Deno.stat(join(sandbox.cache, "openshell"))), 0o755);
  assert.equal(modeOf(await Deno.stat(join(sandbox.cache, "openshell/rootfs"))), 0o755);
  assert.equal(modeOf(await Deno.stat(entry)), 0o755);
  for (const file of manifest.files) {
    const info = await Deno.lstat(join(entry, "rootfs", file.path));
    if (file.type === "symlink") continue;
    // Files read-only; directories as in the image, so the owner can remove the cache.
    assert.equal(modeOf(info), file.type === "file" ? file.mode & ~0o222 : file.mode, file.path);
    assert.equal(modeOf(info) & 0o005, 0o005 & file.mode, `${file.path} is readable by others`);
  }
  assert.deepEqual(
    await listTree(join(sandbox.cache, "openshell/rootfs")),
    [
      digest,
      `${digest}/manifest.json`,
      `${digest}/rootfs`,
      ...manifest.files.map((file) => `${digest}/rootfs/${file.path}`),
    ].sort(),
  );
});

Deno.test("a damaged cache entry is detected and rebuilt", async (t) => {
  await using sandbox = await createSandbox();
  const manifest = await realManifest();
  const rootfs = join(sandbox.cache, "openshell/rootfs", manifest.tarball.sha256, "rootfs");
  const libDir = join(rootfs, "lib/x86_64-linux-gnu");
  const damages: [string, () => Promise<void>][] = [
    ["missing file", () => Deno.remove(join(libDir, "libm.so.6"))],
    ["changed size", () => Deno.writeTextFile(join(libDir, "libc.so.6"), "short")],
    ["changed mode", () => Deno.chmod(join(libDir, "libdl.so.2"), 0o600)],
    ["added file", () => Deno.writeTextFile(join(libDir, "libextra.so.1"), "x")],
  ];
  for (const [name, damage] of damages) {
    await t.step(name, async () => {
      const first = await runCli(sandbox, ["bundle", "unpack"]);
      assert.equal(first.code, 0, first.stderr);
      await Deno.chmod(libDir, 0o755);
      await Deno.chmod(join(libDir, "libc.so.6"), 0o644);
      await damage();
      const inspect = await runCli(sandbox, ["bundle", "inspect", "-o", "json"]);
      assert.equal(JSON.parse(inspect.stdout).unpacked, false);
      const rebuilt = await runCli(sandbox, ["bundle", "unpack"]);
      assert.equal(rebuilt.code, 0, rebuilt.stderr);
      assert.match(rebuilt.stderr, /Rebuilding damaged rootfs cache entry/);
      const verified = await runCli(sandbox, ["bundle", "inspect", "-o", "json"]);
      assert.equal(JSON.parse(verified.stdout).unpacked, true);
      assert.deepEqual(
        (await Array.fromAsync(Deno.readDir(join(sandbox.cache, "openshell/rootfs")))).map((e) =>
          e.name
        ),
        [manifest.tarball.sha256],
      );
    });
  }
});

Deno.test("a cached file changed in place, size, mode and mtime kept, is detected and rebuilt", async () => {
  await using sandbox = await createSandbox();
  const manifest = await realManifest();
  const digest = manifest.tarball.sha256;
  const libc = join(
    sandbox.cache,
    "openshell/rootfs",
    digest,
    "rootfs/lib/x86_64-linux-gnu/libc.so.6",
  );
  const record = join(sandbox.cache, "openshell/rootfs-checks", `${digest}.contents`);
  const original = await (async () => {
    assert.equal((await runCli(sandbox, ["bundle", "unpack"])).code, 0);
    return await Deno.readFile(libc);
  })();
  // Once the files have settled, a use that hashed them all records their stamps.
  await new Promise((resolve) => setTimeout(resolve, 2100));
  for (let use = 0; use < 2; use++) {
    const hit = await runCli(sandbox, ["bundle", "unpack"]);
    assert.equal(hit.code, 0, hit.stderr);
    assert.equal(hit.stderr, "", "an intact entry is used as it is");
  }
  assert.ok((await Deno.readTextFile(record)).includes('"lib/x86_64-linux-gnu/libc.so.6"'));

  const info = await Deno.stat(libc);
  await Deno.chmod(libc, 0o644);
  const tampered = original.slice();
  tampered[tampered.length >> 1]! ^= 0xff;
  await Deno.writeFile(libc, tampered);
  await Deno.chmod(libc, modeOf(info));
  await Deno.utime(libc, info.atime!, info.mtime!);
  assert.equal((await Deno.stat(libc)).size, info.size);
  assert.equal((await Deno.stat(libc)).mtime?.getTime(), info.mtime?.getTime());

  const inspect = await runCli(sandbox, ["bundle", "inspect", "-o", "json"]);
  assert.equal(JSON.parse(inspect.stdout).unpacked, false);
  const rebuilt = await runCli(sandbox, ["bundle", "unpack"]);
  assert.equal(rebuilt.code, 0, rebuilt.stderr);
  assert.match(
    rebuilt.stderr,
    /Rebuilding damaged rootfs cache entry .*"lib\/x86_64-linux-gnu\/libc\.so\.6" does not match its sha256/,
  );
  assert.deepEqual(await Deno.readFile(libc), original);
  const after = await runCli(sandbox, ["bundle", "unpack"]);
  assert.equal(after.stderr, "");
});

/**
 * What `bundle gc` removed of the cache, without the gateway's Deno cache templates of sources
 * gone that it removes from the runtime dir too: root's is the machine's (`/run/openshell`), an
 * ordinary user's without a private `XDG_RUNTIME_DIR` that user's, where other tests leave theirs.
 */
function cacheEntries(removed: string[]): string[] {
  return removed.filter((path) => basename(dirname(path)) !== "deno-dir");
}

Deno.test("bundle gc removes other digests and leftovers of dead processes only", async () => {
  await using sandbox = await createSandbox();
  const manifest = await realManifest();
  const cacheDir = join(sandbox.cache, "openshell/rootfs");
  assert.equal((await runCli(sandbox, ["bundle", "unpack"])).code, 0);
  const other = join(cacheDir, "a".repeat(64));
  await Deno.mkdir(join(other, "rootfs/ro"), { recursive: true });
  await Deno.writeTextFile(join(other, "rootfs/ro/file"), "x");
  await Deno.chmod(join(other, "rootfs/ro"), 0o555);
  await Deno.chmod(other, 0o555);
  const finished = new Deno.Command("true").spawn();
  await finished.status;
  const deadTemp = join(cacheDir, `.tmp-aaaaaaaaaaaa-${finished.pid}-deadbeef`);
  const liveTemp = join(cacheDir, `.tmp-aaaaaaaaaaaa-${Deno.pid}-cafecafe`);
  await Deno.mkdir(join(deadTemp, "rootfs"), { recursive: true });
  await Deno.mkdir(liveTemp);
  await Deno.writeTextFile(join(cacheDir, "unrelated-file"), "kept");

  const gc = await runCli(sandbox, ["bundle", "gc", "-o", "json"]);
  assert.equal(gc.code, 0, gc.stderr);
  assert.deepEqual(cacheEntries(JSON.parse(gc.stdout).removed), [deadTemp, other]);
  assert.deepEqual(
    (await Array.fromAsync(Deno.readDir(cacheDir))).map((entry) => entry.name).sort(),
    [liveTemp.slice(cacheDir.length + 1), manifest.tarball.sha256, "unrelated-file"].sort(),
  );
  const inspect = await runCli(sandbox, ["bundle", "inspect", "-o", "json"]);
  assert.equal(JSON.parse(inspect.stdout).unpacked, true);

  const text = await runCli(sandbox, ["bundle", "gc"]);
  assert.equal(text.code, 0);
  const listed = text.stdout.split("\n").filter((line) => line !== "");
  assert.deepEqual(cacheEntries(listed), []);
  assert.match(text.stderr, new RegExp(`Removed ${listed.length} cache entr(y|ies)`));
});

Deno.test("an image changed after a recorded match is hashed again and refused", async () => {
  await using sandbox = await createSandbox();
  await ensureImageBuilt();
  const image = join(sandbox.root, "image");
  await Deno.mkdir(image);
  const tarballPath = join(image, "rootfs.tar.gz");
  await Deno.copyFile(join(DIST, "rootfs.tar.gz"), tarballPath);
  await Deno.copyFile(join(DIST, "manifest.json"), join(image, "manifest.json"));
  const env = { OPENSHELL_ROOTFS_IMAGE: image };
  const digest = (await realManifest()).tarball.sha256;
  const record = join(sandbox.cache, "openshell/rootfs-checks", `${digest}.verified`);

  // A file changed within the last seconds is not recorded.
  assert.equal((await runCli(sandbox, ["bundle", "unpack"], { env })).code, 0);
  await assert.rejects(Deno.stat(record));
  await new Promise((resolve) => setTimeout(resolve, 2100));
  assert.equal((await runCli(sandbox, ["bundle", "unpack"], { env })).code, 0);
  assert.ok((await Deno.stat(record)).isFile, "a settled match is recorded");

  // Same size, old modification time put back: the change time still gives it away.
  const { mtime, atime } = await Deno.stat(tarballPath);
  const file = await Deno.open(tarballPath, { read: true, write: true });
  const byte = new Uint8Array(1);
  await file.seek(1000, Deno.SeekMode.Start);
  await file.read(byte);
  byte[0] = byte[0]! ^ 0x55;
  await file.seek(1000, Deno.SeekMode.Start);
  await file.write(byte);
  file.close();
  await Deno.utime(tarballPath, atime!, mtime!);
  const refused = await runCli(sandbox, ["bundle", "unpack"], { env });
  assert.equal(refused.code, 1);
  assert.match(
    refused.stderr,
    /Refusing rootfs image ".*rootfs\.tar\.gz": sha256 [0-9a-f]{64} does not match/,
  );

  // A forged record does not make a changed file pass either: it is hashed.
  await Deno.writeTextFile(record, "forged\n");
  assert.equal((await runCli(sandbox, ["bundle", "unpack"], { env })).code, 1);
});

Deno.test("an image that does not match its manifest is refused, cached or not", async () => {
  await using sandbox = await createSandbox();
  await ensureImageBuilt();
  const image = join(sandbox.root, "image");
  await Deno.mkdir(image);
  const tarball = await Deno.readFile(join(DIST, "rootfs.tar.gz"));
  await Deno.writeFile(join(image, "rootfs.tar.gz"), tarball);
  await Deno.copyFile(join(DIST, "manifest.json"), join(image, "manifest.json"));
  const env = { OPENSHELL_ROOTFS_IMAGE: image };
  const coldCache = join(sandbox.root, "cold-cache");
  const refusal =
    /\nerror: Refusing rootfs image ".*rootfs\.tar\.gz": sha256 [0-9a-f]{64} does not match the manifest's [0-9a-f]{64}\nhint: /;

  assert.equal((await runCli(sandbox, ["bundle", "unpack"], { env })).code, 0);
  tarball[1000] = tarball[1000]! ^ 0x55;
  await Deno.writeFile(join(image, "rootfs.tar.gz"), tarball);

  const cached = await runCli(sandbox, ["bundle", "unpack"], { env });
  assert.equal(cached.code, 1);
  assert.equal(cached.stdout, "");
  assert.match(`\n${cached.stderr}`, refusal);

  const cold = await runCli(sandbox, ["bundle", "unpack"], {
    env: { ...env, XDG_CACHE_HOME: coldCache },
  });
  assert.equal(cold.code, 1);
  assert.equal(cold.stdout, "");
  assert.match(`\n${cold.stderr}`, refusal);
  assert.deepEqual(await listTree(coldCache).catch(() => []), []);

  await Deno.remove(join(image, "manifest.json"));
  const missing = await runCli(sandbox, ["bundle", "inspect"], { env });
  assert.equal(missing.code, 1);
  assert.match(
    missing.stderr,
    /error: The gateway rootfs image is missing: ".*manifest\.json" not found/,
  );
  assert.match(missing.stderr, /hint: build it with `deno task build:rootfs`/);
});

Deno.test("several processes unpacking the same image at once end with one valid entry", async () => {
  await using sandbox = await createSandbox();
  const { dir, digest } = await writeLargeImage(sandbox);
  const env = { OPENSHELL_ROOTFS_IMAGE: dir };
  const results = await Promise.all(
    [1, 2, 3].map(() => runCli(sandbox, ["bundle", "unpack"], { env })),
  );
  const path = join(sandbox.cache, "openshell/rootfs", digest, "rootfs");
  for (const result of results) {
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, `${path}\n`);
  }
  assert.ok(
    results.filter((result) => /Unpacking/.test(result.stderr)).length >= 2,
    "the processes did not overlap",
  );
  assert.deepEqual(
    (await Array.fromAsync(Deno.readDir(join(sandbox.cache, "openshell/rootfs")))).map((e) =>
      e.name
    ),
    [digest],
  );
  const inspect = await runCli(sandbox, ["bundle", "inspect", "-o", "json"], { env });
  assert.equal(JSON.parse(inspect.stdout).unpacked, true);
});

Deno.test("an unpack killed mid-way leaves no entry, and the next unpack succeeds", async () => {
  await using sandbox = await createSandbox();
  const { dir, digest } = await writeLargeImage(sandbox);
  const env = { OPENSHELL_ROOTFS_IMAGE: dir };
  const cacheDir = join(sandbox.cache, "openshell/rootfs");
  const [deno, ...args] = cliArgv(["bundle", "unpack"]);
  const child = new Deno.Command(deno!, {
    args,
    env: { ...sandbox.env, ...env },
    clearEnv: true,
    cwd: sandbox.root,
    stdout: "null",
    stderr: "null",
  }).spawn();
  let temp: string | undefined;
  try {
    const deadline = Date.now() + 30_000;
    while (temp === undefined && Date.now() < deadline) {
      const names = await Array.fromAsync(Deno.readDir(cacheDir)).catch(() => []);
      const candidate = names.find((entry) => entry.name.startsWith(".tmp-"));
      const data = candidate && join(cacheDir, candidate.name, "rootfs/data/0");
      if (data && (await Array.fromAsync(Deno.readDir(data)).catch(() => [])).length > 10) {
        temp = candidate.name;
      } else await new Promise((resolve) => setTimeout(resolve, 5));
    }
  } finally {
    child.kill("SIGKILL");
  }
  const status = await child.status;
  assert.ok(temp, "the unpack never started writing");
  assert.equal(status.signal, "SIGKILL", "the unpack finished before it could be interrupted");
  const leftovers = (await Array.fromAsync(Deno.readDir(cacheDir))).map((entry) => entry.name);
  assert.deepEqual(leftovers, [temp], "only the interrupted temp dir exists, no cache entry");

  const retry = await runCli(sandbox, ["bundle", "unpack"], { env });
  assert.equal(retry.code, 0, retry.stderr);
  assert.equal(retry.stdout, `${join(cacheDir, digest, "rootfs")}\n`);
  assert.deepEqual((await Array.fromAsync(Deno.readDir(cacheDir))).map((e) => e.name), [digest]);
  const inspect = await runCli(sandbox, ["bundle", "inspect", "-o", "json"], { env });
  assert.equal(JSON.parse(inspect.stdout).unpacked, true);
});

const testUser = Deno.uid() === 0 ? (await userIds(TEST_USER))?.uid : undefined;
if (testUser === undefined) {
  console.error(
    `not root or no "${TEST_USER}" user (scripts/setup.sh --test): ordinary-user cache test skipped`,
  );
}

Deno.test(
  "an ordinary user's read-only entries are replaced and collected without root's override",
  {
    ignore: testUser === undefined,
  },
  async () => {
    await using sandbox = await createSandbox({ mode: 0o755 });
    const manifest = await realManifest();
    const uid = testUser!;
    await Deno.chown(sandbox.cache, uid, uid);
    const asTestUser = (args: string[]) =>
      runCommand(asUser(TEST_USER, sharedCliArgv(args)), { env: sandbox.env, cwd: sandbox.cache });
    const cacheDir = join(sandbox.cache, "openshell/rootfs");
    const entry = join(cacheDir, manifest.tarball.sha256);

    const unpack = await asTestUser(["bundle", "unpack"]);
    assert.equal(unpack.code, 0, unpack.stderr);
    const info = await Deno.stat(join(entry, "rootfs/etc"));
    assert.equal(info.uid, uid);
    assert.equal(modeOf(info), 0o755);

    const other = join(cacheDir, "c".repeat(64));
    await Deno.mkdir(join(other, "rootfs/ro"), { recursive: true });
    for (const path of [other, join(other, "rootfs"), join(other, "rootfs/ro")]) {
      await Deno.chown(path, uid, uid);
      await Deno.chmod(path, 0o555);
    }
    const gc = await asTestUser(["bundle", "gc", "-o", "json"]);
    assert.equal(gc.code, 0, gc.stderr);
    assert.deepEqual(cacheEntries(JSON.parse(gc.stdout).removed), [other]);

    await Deno.remove(join(entry, "rootfs/etc/hosts"));
    const rebuilt = await asTestUser(["bundle", "unpack"]);
    assert.equal(rebuilt.code, 0, rebuilt.stderr);
    assert.match(rebuilt.stderr, /Rebuilding damaged rootfs cache entry .*"etc\/hosts" is missing/);
    assert.deepEqual((await Array.fromAsync(Deno.readDir(cacheDir))).map((e) => e.name), [
      manifest.tarball.sha256,
    ]);
    assert.equal((await Deno.stat(join(entry, "rootfs/etc/hosts"))).uid, uid);
  },
);

Deno.test(
  "the owner removes the cache with rm -rf; bundle gc --all removes every entry",
  { ignore: testUser === undefined },
  async () => {
    await using sandbox = await createSandbox({ mode: 0o755 });
    const uid = testUser!;
    await Deno.chown(sandbox.cache, uid, uid);
    const asTestUser = (argv: string[]) =>
      runCommand(asUser(TEST_USER, argv), { env: sandbox.env, cwd: sandbox.cache });
    const cache = join(sandbox.cache, "openshell");
    const unpack = () => asTestUser(sharedCliArgv(["bundle", "unpack"]));
    assert.equal((await unpack()).code, 0);
    // Without root's override: the owner's own rm, as after any upgrade or for disk space.
    const rm = await asTestUser(["rm", "-rf", cache]);
    assert.equal(rm.code, 0, rm.stderr);
    assert.equal(await Deno.stat(cache).then(() => true, () => false), false);

    assert.equal((await unpack()).code, 0);
    const manifest = await realManifest();
    const entry = join(cache, "rootfs", manifest.tarball.sha256);
    const gc = await asTestUser(sharedCliArgv(["bundle", "gc", "--all", "-o", "json"]));
    assert.equal(gc.code, 0, gc.stderr);
    assert.deepEqual(cacheEntries(JSON.parse(gc.stdout).removed), [entry]);
    assert.deepEqual(await Array.fromAsync(Deno.readDir(join(cache, "rootfs"))), []);
    const inspect = await asTestUser(sharedCliArgv(["bundle", "inspect", "-o", "json"]));
    assert.equal(JSON.parse(inspect.stdout).unpacked, false);
  },
);

Deno.test("a program's closure that resolved in an entry is not resolved again until the program changes", async () => {
  await using sandbox = await createSandbox();
  const options = { env: (name: string) => sandbox.env[name], uid: Deno.uid() ?? 0 };
  await Deno.mkdir(join(sandbox.cache, "openshell"), { recursive: true });
  const program = join(sandbox.root, "true");
  await Deno.copyFile("/bin/true", program);
  // A pass is recorded only for a program that has not changed in the last seconds.
  await new Promise((resolve) => setTimeout(resolve, 2100));
  const digest = "ab".repeat(32);
  const host = { path: "/", digest };
  assert.deepEqual(await verifyEntryClosure(options, host, program), { ok: true, missing: [] });
  const record = join(sandbox.cache, "openshell/rootfs-checks", `${digest}.closure`);
  assert.match(await Deno.readTextFile(record), new RegExp(`^${JSON.stringify(program)} \\d+ `));
  // The same program is taken on its record, even in a tree without its libraries...
  const empty = { path: join(sandbox.root, "empty"), digest };
  await Deno.mkdir(empty.path);
  assert.deepEqual(await verifyEntryClosure(options, empty, program), { ok: true, missing: [] });
  // ...and a changed one is resolved again, and refused there; a failure is not recorded.
  await Deno.copyFile("/bin/true", program);
  const changed = await verifyEntryClosure(options, empty, program);
  assert.equal(changed.ok, false);
  assert.ok(changed.missing.length > 0);
  const other = await verifyEntryClosure(options, empty, "/bin/false");
  assert.equal(other.ok, false);
  assert.match(await Deno.readTextFile(record), new RegExp(`^${JSON.stringify(program)} \\d+ `));
});
