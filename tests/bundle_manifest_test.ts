import assert from "node:assert/strict";
import { formatManifest, type Manifest, parseManifest } from "../src/image/_manifest.ts";

const DIGEST = "a".repeat(64);
const GOOD: Manifest = {
  format: 1,
  tarball: { sha256: DIGEST, size: 10, archiveSize: 10240 },
  fileCount: 3,
  contentSize: 4,
  inputs: "b".repeat(64),
  files: [
    { type: "directory", path: "etc", mode: 0o755 },
    { type: "file", path: "etc/hosts", mode: 0o644, size: 4, sha256: DIGEST },
    { type: "symlink", path: "etc/alias", mode: 0o777, target: "hosts" },
  ],
};

Deno.test("parseManifest reads back what formatManifest writes", () => {
  assert.deepEqual(parseManifest(formatManifest(GOOD), "m.json"), GOOD);
});

Deno.test("parseManifest names the file and the field that is wrong", () => {
  // deno-lint-ignore no-explicit-any -- the point is to break the shape freely
  type Loose = Record<string, any>;
  const broken = (change: (json: Loose) => void) => {
    const json = structuredClone(GOOD) as unknown as Loose;
    change(json);
    return JSON.stringify(json);
  };
  const cases: [string, RegExp][] = [
    ["{", /^Cannot parse manifest "m\.json": .*JSON/],
    ["[]", /"m\.json": \(top level\): expected an object/],
    [broken((j) => (j.format = 2)), /: format: expected 1/],
    [broken((j) => delete j.tarball), /: tarball: expected an object/],
    [
      broken((j) => (j.tarball.sha256 = "ABC")),
      /: tarball\.sha256: expected a lowercase hex sha256/,
    ],
    [broken((j) => (j.tarball.size = -1)), /: tarball\.size: expected a non-negative integer/],
    [broken((j) => (j.fileCount = 1.5)), /: fileCount: expected a non-negative integer/],
    [broken((j) => (j.files = {})), /: files: expected an array/],
    [
      broken((j) => (j.files[1].type = "hardlink")),
      /: files\.1\.type: expected "file", "directory" or "symlink"/,
    ],
    [broken((j) => (j.files[1].mode = 0o4755)), /: files\.1\.mode: expected permission bits only/],
    [broken((j) => delete j.files[1].sha256), /: files\.1\.sha256: expected a string/],
    [broken((j) => (j.files[2].target = 7)), /: files\.2\.target: expected a string/],
    [broken((j) => (j.files[0].path = null)), /: files\.0\.path: expected a string/],
  ];
  for (const [text, problem] of cases) {
    assert.throws(() => parseManifest(text, "m.json"), (error: unknown) => {
      assert.ok(error instanceof SyntaxError);
      assert.match(error.message, problem);
      return true;
    }, text);
  }
});
