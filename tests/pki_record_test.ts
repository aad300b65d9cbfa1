import assert from "node:assert/strict";
import { pkiCheckKey, recordedPass } from "../src/serve/_pki_record.ts";

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
