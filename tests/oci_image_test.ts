import assert from "node:assert/strict";
import {
  blobPath,
  dockerArchiveManifest,
  imageCommand,
  imageConfig,
  imageManifest,
  layoutIndex,
  MEDIA_TYPES,
  sourceDate,
  withTag,
} from "../src/image/oci_image.ts";

const layers = [
  {
    blob: { mediaType: MEDIA_TYPES.layerGzip, digest: "sha256:aa", size: 1 },
    diffId: "sha256:bb",
  },
  { blob: { mediaType: MEDIA_TYPES.layerTar, digest: "sha256:cc", size: 2 }, diffId: "sha256:cc" },
];

Deno.test("image references: NAME[:TAG], latest by default, registry ports allowed", () => {
  assert.equal(withTag("openshell"), "openshell:latest");
  assert.equal(withTag("localhost:5000/a/b"), "localhost:5000/a/b:latest");
  assert.equal(withTag("registry.example.com/g:0.1.0"), "registry.example.com/g:0.1.0");
  assert.equal(withTag("g:v1"), "g:v1");
  for (const bad of ["", "Upper/case", "a:", "a b", "-a", "a:-x"]) {
    assert.throws(() => withTag(bad), /invalid image name/, bad);
  }
});

Deno.test("image command: the gateway on 0.0.0.0:8090, token by path, never inline", () => {
  const source = imageCommand({ kind: "source", version: "1.2.3" });
  assert.deepEqual(source.entrypoint.slice(0, 2), ["/usr/local/bin/openshell", "run"]);
  assert.ok(source.entrypoint.includes("--allow-net=0.0.0.0"), "any port on the wildcard host");
  assert.equal(source.entrypoint.at(-1), "/usr/local/lib/openshell/server/main.ts");
  assert.deepEqual(source.cmd, [
    "--name",
    "openshell",
    "--listen",
    "0.0.0.0:8090",
    "--state-dir",
    "/var/lib/openshell",
    "--token-file",
    "/run/openshell/token",
    "--version",
    "1.2.3",
  ]);
  const compiled = imageCommand({ kind: "compiled", version: "1.2.3" });
  assert.deepEqual(compiled.entrypoint, ["/usr/local/bin/openshell", "__gateway"]);
});

Deno.test("image config: user 65532, port, state volume, diff ids in layer order, source date", () => {
  const created = "2024-01-02T03:04:05Z";
  const config = imageConfig({ kind: "compiled", version: "1" }, layers, "x86_64", created);
  assert.equal(config.architecture, "amd64");
  assert.equal(
    imageConfig({ kind: "compiled", version: "1" }, layers, "aarch64", created).architecture,
    "arm64",
  );
  assert.equal(config.config.User, "65532:65532");
  assert.deepEqual(config.config.ExposedPorts, { "8090/tcp": {} });
  assert.deepEqual(config.config.Volumes, { "/var/lib/openshell": {} });
  assert.deepEqual(config.rootfs, { type: "layers", diff_ids: ["sha256:bb", "sha256:cc"] });
  assert.equal(config.created, created);
  assert.deepEqual(config.history.map((h) => h.created), [created, created]);
  assert.ok(config.config.Env.some((e) => e.startsWith("PATH=")));
});

Deno.test("the source date: SOURCE_DATE_EPOCH in RFC 3339, the epoch when unset", () => {
  assert.equal(sourceDate(undefined), "1970-01-01T00:00:00Z");
  assert.equal(sourceDate("1704164645"), "2024-01-02T03:04:05Z");
  for (const bad of ["", "-1", "1.5", "soon", "1e9"]) {
    assert.throws(() => sourceDate(bad), /invalid SOURCE_DATE_EPOCH/);
  }
});

Deno.test("manifest, index and docker-archive manifest point at the same blobs", () => {
  const configBlob = { mediaType: MEDIA_TYPES.config, digest: "sha256:dd", size: 3 };
  const manifest = imageManifest(configBlob, layers);
  assert.deepEqual(manifest.layers.map((l) => l.digest), ["sha256:aa", "sha256:cc"]);
  const index = layoutIndex(
    { mediaType: MEDIA_TYPES.manifest, digest: "sha256:ee", size: 4 },
    "x:v2",
  );
  assert.deepEqual(index.manifests[0]!.annotations, {
    "io.containerd.image.name": "x:v2",
    "org.opencontainers.image.ref.name": "x:v2",
  });
  assert.equal(
    layoutIndex({ mediaType: MEDIA_TYPES.manifest, digest: "sha256:ee", size: 4 }, "r.io/a/b")
      .manifests[0]!.annotations["org.opencontainers.image.ref.name"],
    "r.io/a/b:latest",
  );
  assert.deepEqual(dockerArchiveManifest(configBlob, layers, "x"), [{
    Config: "blobs/sha256/dd",
    RepoTags: ["x:latest"],
    Layers: ["blobs/sha256/aa", "blobs/sha256/cc"],
  }]);
  assert.equal(blobPath("sha256:ff"), "blobs/sha256/ff");
});
