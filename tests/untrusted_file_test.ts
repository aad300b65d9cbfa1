import assert from "node:assert/strict";
import { join } from "node:path";
import {
  checkOwnedDirs,
  openUntrusted,
  readUntrusted,
  UntrustedPathError,
} from "../src/files/mod.ts";
import { readOwnServedRecord } from "../src/serve/served_lookup.ts";
import { writeServedRecord } from "../src/serve/served_record.ts";
import { servedRecordFor } from "./_helpers/served_record_fixture.ts";
import { tempDir } from "./_helpers/temp_dir.ts";

const uid = Deno.uid()!;

Deno.test("the rule reads a regular file of its owner, within its bound", async () => {
  await using dir = await tempDir("openshell-untrusted-");
  const path = join(dir.path, "served.json");
  await Deno.writeTextFile(path, "{}\n");
  assert.equal(
    new TextDecoder().decode(await readUntrusted(path, { owner: uid, maxBytes: 3 })),
    "{}\n",
  );
  using file = await openUntrusted(path, { maxBytes: 3 });
  assert.equal(file.size, 3);
  assert.equal(file.ino, (await Deno.lstat(path)).ino);
});

Deno.test("the rule refuses links, pipes, devices, other owners and larger files", async () => {
  await using dir = await tempDir("openshell-untrusted-");
  const link = join(dir.path, "link");
  await Deno.symlink("/etc/hostname", link);
  const zero = join(dir.path, "zero");
  await Deno.symlink("/dev/zero", zero);
  const fifo = join(dir.path, "fifo");
  assert.ok((await new Deno.Command("mkfifo", { args: [fifo] }).output()).success);
  const big = join(dir.path, "big");
  await Deno.writeTextFile(big, "x".repeat(100));
  const cases: [string, number | undefined, RegExp][] = [
    [link, undefined, /is a symbolic link/],
    [zero, undefined, /is a symbolic link/],
    [fifo, undefined, /is not a regular file \(a named pipe\)/],
    ["/dev/null", undefined, /is not a regular file \(a character device\)/],
    [dir.path, undefined, /is not a regular file \(a directory\)/],
    [big, uid + 1, new RegExp(`belongs to uid ${uid}, not ${uid + 1}`)],
    [big, uid, /holds 100 bytes, more than the 10 it may/],
  ];
  for (const [path, owner, why] of cases) {
    await assert.rejects(readUntrusted(path, { owner, maxBytes: 10 }), (error: Error) => {
      assert.ok(error instanceof UntrustedPathError, `${path}: ${error}`);
      assert.match(error.message, why);
      return true;
    });
  }
  await assert.rejects(
    readUntrusted(join(dir.path, "none"), { maxBytes: 10 }),
    Deno.errors.NotFound,
  );
});

Deno.test("directories on the way: real, the owner's, writable by no one else", async () => {
  await using dir = await tempDir("openshell-untrusted-");
  const deep = join(dir.path, "gateways", "dev");
  await Deno.mkdir(deep, { recursive: true, mode: 0o700 });
  await Deno.chmod(dir.path, 0o700);
  await checkOwnedDirs(dir.path, deep, uid);
  await assert.rejects(checkOwnedDirs(dir.path, deep, uid + 1), /belongs to uid/);
  await Deno.chmod(join(dir.path, "gateways"), 0o777);
  await assert.rejects(checkOwnedDirs(dir.path, deep, uid), /writable by others/);
  await Deno.chmod(join(dir.path, "gateways"), 0o700);
  await Deno.rename(deep, join(dir.path, "elsewhere"));
  await Deno.symlink(join(dir.path, "elsewhere"), deep);
  await assert.rejects(checkOwnedDirs(dir.path, deep, uid), /is a symbolic link/);
  await assert.rejects(checkOwnedDirs(dir.path, "/etc", uid), /is not under/);
});

Deno.test({
  name: "a gateway home someone else made holds no served record for the caller",
  ignore: Deno.uid() !== 0,
  async fn() {
    await using home = await tempDir("openshell-untrusted-");
    const dir = join(home.path, "gateways", "dev");
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    await Deno.chmod(home.path, 0o700);
    await writeServedRecord(dir, await servedRecordFor(Deno.pid));
    assert.equal((await readOwnServedRecord(home.path, dir, 0))?.pid, Deno.pid);
    // The same record, in a home of another user's (nobody) that the caller could use.
    await Deno.chown(home.path, 65534, 65534);
    assert.equal(await readOwnServedRecord(home.path, dir, 0), undefined);
  },
});
