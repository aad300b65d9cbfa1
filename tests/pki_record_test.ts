import assert from "node:assert/strict";
import { join } from "node:path";
import { withTempDir } from "./_helpers/temp_dir.ts";
import { pkiCheckKey, recordedPass, recordPass } from "../src/serve/_pki_record.ts";

Deno.test("recordedPass: the same digest, inside the window, from a record that parses", () => {
  const record = JSON.stringify({ key: "ab", from: 1000, until: 2000 });
  assert.equal(recordedPass(record, "ab", 1000), true);
  assert.equal(recordedPass(record, "ab", 1999), true);
  assert.equal(recordedPass(record, "ab", 999), false);
  assert.equal(recordedPass(record, "ab", 2000), false);
  assert.equal(recordedPass(record, "cd", 1500), false);
  for (
    const text of [
      "",
      "{",
      "null",
      "[]",
      '"ab"',
      JSON.stringify({ key: "ab", from: "1000", until: 2000 }),
      JSON.stringify({ key: "ab", until: 2000 }),
      JSON.stringify({ key: "ab", from: 1000 }),
      JSON.stringify({ from: 1000, until: 2000 }),
    ]
  ) {
    assert.equal(recordedPass(text, "ab", 1500), false, text);
  }
});

Deno.test("pkiCheckKey changes with every file and the listen host", async () => {
  const pki = { ca: "a", serverCert: "b", serverKey: "c", clientCert: "d", clientKey: "e" };
  const key = await pkiCheckKey(pki, "127.0.0.1");
  assert.match(key, /^[0-9a-f]{64}$/);
  assert.equal(await pkiCheckKey({ ...pki }, "127.0.0.1"), key);
  assert.notEqual(await pkiCheckKey(pki, "::1"), key);
  for (const part of Object.keys(pki) as (keyof typeof pki)[]) {
    assert.notEqual(await pkiCheckKey({ ...pki, [part]: `${pki[part]}x` }, "127.0.0.1"), key, part);
  }
});

Deno.test("recordPass makes only the records' own dir: a cache root it would make 0700 is left to the rootfs cache", async () => {
  await withTempDir("openshell-pki-record-", async (dir) => {
    const cache = join(dir, "openshell");
    const record = join(cache, "pki-checks", "corp.json");
    const pass = { key: "ab", from: 1000, until: 2000 };
    // Before the rootfs cache has made its dir (a cold start): nothing is made, so the cache
    // dir the container's root must traverse keeps the mode the rootfs cache gives it.
    await recordPass(record, pass);
    assert.equal(await Deno.lstat(cache).then(() => true, () => false), false);
    await Deno.mkdir(cache, { mode: 0o755 });
    await Deno.chmod(cache, 0o755);
    await recordPass(record, pass);
    assert.equal((await Deno.stat(cache)).mode! & 0o777, 0o755);
    assert.equal((await Deno.stat(join(cache, "pki-checks"))).mode! & 0o777, 0o700);
    assert.equal((await Deno.stat(record)).mode! & 0o777, 0o600);
    assert.deepEqual(JSON.parse(await Deno.readTextFile(record)), pass);
  });
});
