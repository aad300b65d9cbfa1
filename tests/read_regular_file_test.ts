import assert from "node:assert/strict";
import { join } from "node:path";
import { UnreadableFileError } from "../src/errors/user_error.ts";
import {
  FileTooLargeError,
  readRegularFile,
  readRegularFileSync,
  readRegularTextFileSync,
} from "../src/bounded_read/read_regular_file.ts";
import { withTempDir } from "./_helpers/temp_dir.ts";

const readers = {
  sync: (path: string, max: number) => Promise.resolve().then(() => readRegularFileSync(path, max)),
  async: readRegularFile,
};

for (const [kind, read] of Object.entries(readers)) {
  Deno.test(`readRegularFile (${kind}) reads regular files up to the cap, through symlinks`, async () => {
    await withTempDir("openshell-read-", async (dir) => {
      const file = join(dir, "f");
      await Deno.writeTextFile(file, "corp");
      await Deno.symlink(file, join(dir, "link"));
      assert.equal(new TextDecoder().decode(await read(file, 4)), "corp");
      assert.equal(new TextDecoder().decode(await read(join(dir, "link"), 100)), "corp");
      await Deno.writeTextFile(join(dir, "empty"), "");
      assert.equal((await read(join(dir, "empty"), 0)).length, 0);
      await assert.rejects(read(join(dir, "missing"), 10), Deno.errors.NotFound);
    });
  });

  Deno.test(`readRegularFile (${kind}) refuses pipes, devices, directories and larger files unread`, async () => {
    await withTempDir("openshell-read-", async (dir) => {
      const fifo = join(dir, "pipe");
      assert.equal((await new Deno.Command("mkfifo", { args: [fifo] }).output()).code, 0);
      const refusals: [string, string][] = [
        [fifo, "not a regular file (a named pipe)"],
        ["/dev/zero", "not a regular file (a character device)"],
        [dir, "is a directory"],
      ];
      for (const [path, reason] of refusals) {
        const error = await read(path, 1024).then(() => undefined, (e) => e);
        assert.ok(error instanceof UnreadableFileError, String(error));
        assert.equal(error.reason, reason);
        assert.equal(error.message, `Cannot read "${path}": ${reason}`);
      }
      const big = join(dir, "big");
      await Deno.writeFile(big, new Uint8Array(5000));
      const error = await read(big, 4999).then(() => undefined, (e) => e);
      assert.ok(error instanceof FileTooLargeError);
      assert.equal(error.size, 5000);
    });
  });
}

Deno.test("readRegularFileSync stops at the cap for a file that reports no size (/proc)", () => {
  const text = readRegularTextFileSync("/proc/self/status", 1024 * 1024);
  assert.match(text, /^Name:/);
  assert.throws(() => readRegularFileSync("/proc/self/status", 16), FileTooLargeError);
});

Deno.test("readRegularTextFileSync gives each file its own text, small or larger than its buffer", async () => {
  await withTempDir("openshell-read-", async (dir) => {
    // Around the size of the buffer small files share, and one the same size as another.
    const texts = [
      "corp",
      "é".repeat(20_000),
      "",
      "local\n",
      "a".repeat(16_383),
      "b".repeat(16_384),
      "abab",
    ];
    const paths = texts.map((_, i) => join(dir, `f${i}`));
    for (const [i, text] of texts.entries()) await Deno.writeTextFile(paths[i]!, text);
    const read = paths.map((path) => readRegularTextFileSync(path, 1024 * 1024));
    assert.deepEqual(read, texts);
    assert.equal(readRegularTextFileSync(paths[0]!, 4), "corp");
    assert.throws(() => readRegularTextFileSync(paths[1]!, 39_999), FileTooLargeError);
  });
});
