import assert from "node:assert/strict";
import { join } from "node:path";
import {
  atomicWriteFile,
  atomicWriteFileSync,
  removeStaleTemps,
  STALE_TEMP_AGE_MS,
  TEMP_NAME,
  tempPath,
} from "../src/files/atomic_write.ts";
import { UserError } from "../src/errors/user_error.ts";

Deno.test("temp names: openshell's own form only", () => {
  const dir = "/d";
  for (const path of [tempPath(dir), tempPath(dir, "metadata.json"), tempPath(dir, "mtls")]) {
    assert.match(path.slice(dir.length + 1), TEMP_NAME);
  }
  for (const name of [".tmp", "x.tmp", ".notes.tmp", `${crypto.randomUUID()}.tmp`, ".a.b"]) {
    assert.doesNotMatch(name, TEMP_NAME);
  }
});

Deno.test("removeStaleTemps removes only old temp files and dirs of openshell's naming", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const now = Date.now();
    const old = new Date(now - STALE_TEMP_AGE_MS - 1000);
    const young = new Date(now - STALE_TEMP_AGE_MS + 60_000);
    const make = async (path: string, time: Date, directory = false) => {
      if (directory) await Deno.mkdir(path);
      else await Deno.writeTextFile(path, "x");
      await Deno.utime(path, time, time);
      return path;
    };
    const oldFile = await make(tempPath(dir), old);
    const oldDir = await make(tempPath(dir, "mtls"), old, true);
    const youngFile = await make(tempPath(dir, "metadata.json"), young);
    const other = await make(join(dir, "notes.tmp"), old);
    const outside = await Deno.makeTempDir();
    const link = tempPath(dir);
    await Deno.symlink(outside, link);
    await Deno.utime(link, old, old).catch(() => {});
    await removeStaleTemps(dir, now);
    for (const gone of [oldFile, oldDir]) {
      await assert.rejects(Deno.lstat(gone), Deno.errors.NotFound);
    }
    for (const kept of [youngFile, other, outside]) await Deno.lstat(kept);
    await Deno.remove(outside);
    await removeStaleTemps(join(dir, "missing")); // never fails
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("atomicWriteFile failures name the target, not the temp file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const target = join(dir, "missing-dir", "file");
    const error = await atomicWriteFile(target, "x").then(() => undefined, (e) => e);
    assert.ok(error instanceof UserError);
    assert.equal(error.message, `Cannot write "${target}": no such file or directory`);
    assert.deepEqual(await Array.fromAsync(Deno.readDir(dir)), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("atomicWriteFileSync replaces whole with the mode asked, and names the target on failure", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const target = join(dir, "launch.json");
    await Deno.writeTextFile(target, "old");
    atomicWriteFileSync(target, "new\n", { mode: 0o600 });
    assert.equal(await Deno.readTextFile(target), "new\n");
    assert.equal((await Deno.stat(target)).mode! & 0o777, 0o600);
    const missing = join(dir, "missing-dir", "file");
    assert.throws(
      () => atomicWriteFileSync(missing, "x"),
      (e: Error) =>
        e instanceof UserError &&
        e.message === `Cannot write "${missing}": no such file or directory`,
    );
    assert.deepEqual((await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name), [
      "launch.json",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
