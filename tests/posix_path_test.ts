/**
 * `src/path` gives the results of `node:path` (POSIX) for every path built from the pieces
 * that make paths tricky: empty, `.`, `..`, repeated and trailing slashes.
 */
import assert from "node:assert/strict";
import * as node from "node:path";
import * as path from "../src/path/mod.ts";

const PIECES = ["", "/", "//", "a", "b", ".", "..", "...", ".a", "a b", "é"];

/** Every path of up to `length` pieces. */
function paths(length: number): string[] {
  let found = [""];
  const all = new Set(found);
  for (let i = 0; i < length; i++) {
    found = found.flatMap((start) => PIECES.map((piece) => start + piece));
    for (const path of found) all.add(path);
  }
  return [...all];
}

Deno.test("one-path functions agree with node:path", () => {
  for (const p of paths(4)) {
    for (const name of ["normalize", "dirname", "basename", "isAbsolute", "resolve"] as const) {
      assert.equal(path[name](p), node.posix[name](p), `${name}(${JSON.stringify(p)})`);
    }
  }
});

Deno.test("join, resolve and relative agree with node:path", () => {
  const some = paths(2);
  for (const a of some) {
    for (const b of some) {
      const args = JSON.stringify([a, b]);
      assert.equal(path.join(a, b), node.posix.join(a, b), `join${args}`);
      assert.equal(path.resolve(a, b), node.posix.resolve(a, b), `resolve${args}`);
      assert.equal(path.relative(a, b), node.posix.relative(a, b), `relative${args}`);
    }
  }
  assert.equal(path.join(), node.posix.join());
  assert.equal(path.join("a", "b", "../c", "/d/"), node.posix.join("a", "b", "../c", "/d/"));
  assert.equal(path.resolve(), node.posix.resolve());
  assert.equal(path.delimiter, node.posix.delimiter);
});

Deno.test("fromFileUrl reads file URLs like node:url and refuses the others", async () => {
  const { fileURLToPath } = await import("node:url");
  for (const url of ["file:///srv/a%20b", "file:///", "file://localhost/x/y", "file:///%C3%A9"]) {
    assert.equal(path.fromFileUrl(url), fileURLToPath(url), url);
    assert.equal(path.fromFileUrl(new URL(url)), fileURLToPath(new URL(url)), url);
  }
  for (const url of ["http://h/x", "file://host/x", "file:///a%2fb", "file:///a%2Fb"]) {
    assert.throws(() => path.fromFileUrl(url), TypeError, url);
    assert.throws(() => fileURLToPath(url), url);
  }
});
