import assert from "node:assert/strict";
import { join } from "node:path";
import { ensureProgramCopy, gcProgramCopies, programDigests } from "../src/image/mod.ts";
import { withTempDir } from "./_helpers/temp_dir.ts";

Deno.test("a program file is copied once per content, read-only, and a tampered copy is replaced", async () => {
  await withTempDir("openshell-program-copy-", async (dir) => {
    const original = join(dir, "openshell");
    await Deno.writeTextFile(original, "#!/bin/sh\necho one\n", { mode: 0o755 });
    const cache = join(dir, "cache/openshell/program");
    const copies: string[] = [];
    const onCopy = (to: string) => copies.push(to);
    const copy = await ensureProgramCopy(original, cache, { onCopy });
    const [digest] = await programDigests([original], cache);
    assert.equal(copy, join(cache, digest!, "program"));
    assert.equal(await Deno.readTextFile(copy), "#!/bin/sh\necho one\n");
    assert.equal((await Deno.stat(copy)).mode! & 0o777, 0o555);
    assert.equal((await Deno.stat(join(cache, digest!))).mode! & 0o777, 0o755);
    assert.deepEqual(copies, [copy]);

    assert.equal(await ensureProgramCopy(original, cache, { onCopy }), copy);
    assert.equal(copies.length, 1, "an intact copy is reused");

    // Same size, other bytes: found by its digest, not by its mode or size.
    await Deno.chmod(copy, 0o755);
    await Deno.writeTextFile(copy, "#!/bin/sh\necho two\n");
    await Deno.chmod(copy, 0o555);
    assert.equal(await ensureProgramCopy(original, cache, { onCopy }), copy);
    assert.equal(copies.length, 2, "a tampered copy is replaced");
    assert.equal(await Deno.readTextFile(copy), "#!/bin/sh\necho one\n");

    // A new program is a new entry.
    await Deno.writeTextFile(original, "#!/bin/sh\necho three\n");
    const next = await ensureProgramCopy(original, cache, { onCopy });
    assert.notEqual(next, copy);
    assert.equal(await Deno.readTextFile(next), "#!/bin/sh\necho three\n");
  });
});

Deno.test("a source tree is copied with its layout, 0755 dirs and read-only files", async () => {
  await withTempDir("openshell-program-copy-", async (dir) => {
    const src = join(dir, "src");
    await Deno.mkdir(join(src, "gateway"), { recursive: true, mode: 0o700 });
    await Deno.writeTextFile(join(src, "main.ts"), "a", { mode: 0o600 });
    await Deno.writeTextFile(join(src, "gateway/main.ts"), "b", { mode: 0o600 });
    const cache = join(dir, "cache/program");
    const copy = await ensureProgramCopy(src, cache);
    assert.match(copy, /\/program\/[0-9a-f]{64}\/sources$/);
    assert.equal(await Deno.readTextFile(join(copy, "gateway/main.ts")), "b");
    assert.equal((await Deno.stat(join(copy, "gateway"))).mode! & 0o777, 0o755);
    assert.equal((await Deno.stat(join(copy, "main.ts"))).mode! & 0o777, 0o444);
    assert.equal(await ensureProgramCopy(src, cache), copy);
    // A file added to the copy changes its digest: the copy is rebuilt without it.
    await Deno.chmod(copy, 0o755);
    await Deno.writeTextFile(join(copy, "extra.ts"), "x");
    assert.equal(await ensureProgramCopy(src, cache), copy);
    assert.equal(await Deno.stat(join(copy, "extra.ts")).then(() => true, () => false), false);
  });
});

Deno.test("gcProgramCopies keeps the given digests and removes other copies and dead temps", async () => {
  await withTempDir("openshell-program-copy-", async (dir) => {
    const cache = join(dir, "program");
    const file = join(dir, "p");
    await Deno.writeTextFile(file, "p", { mode: 0o755 });
    const kept = await ensureProgramCopy(file, cache);
    await Deno.writeTextFile(file, "q");
    const other = await ensureProgramCopy(file, cache);
    const finished = new Deno.Command("true").spawn();
    await finished.status;
    const dead = join(cache, `.tmp-${finished.pid}-deadbeef`);
    const live = join(cache, `.tmp-${Deno.pid}-cafecafe`);
    await Deno.mkdir(dead);
    await Deno.mkdir(live);
    const keep = kept.split("/").at(-2)!;
    const removed = await gcProgramCopies(cache, () => Promise.resolve([keep]));
    assert.deepEqual(removed.sort(), [dead, join(other, "..")].sort());
    assert.deepEqual(
      (await Array.fromAsync(Deno.readDir(cache), (e) => e.name)).sort(),
      [keep, `.tmp-${Deno.pid}-cafecafe`].sort(),
    );
    const all = await gcProgramCopies(cache, () => Promise.resolve([]));
    assert.deepEqual(all, [join(cache, keep)]);
    assert.equal(
      await gcProgramCopies(join(dir, "none"), () => Promise.reject(new Error("not asked"))).then(
        (r) => r.length,
      ),
      0,
    );
  });
});
