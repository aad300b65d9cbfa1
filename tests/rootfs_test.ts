import assert from "node:assert/strict";
import { join } from "node:path";
import { type Manifest, parseManifest } from "../src/image/_manifest.ts";
import { createSandbox, REPO, runCli } from "./_helpers/sandbox.ts";
import { ensureImageBuilt, run } from "./testdata/bundle/fixtures.ts";

const DIST = join(REPO, "rootfs/dist");

async function manifestOf(dir: string): Promise<Manifest> {
  const path = join(dir, "manifest.json");
  return parseManifest(await Deno.readTextFile(path), path);
}

Deno.test("two builds of the image from the same inputs are byte-identical", async () => {
  await using sandbox = await createSandbox();
  await ensureImageBuilt();
  const outputs = [join(sandbox.root, "one"), join(sandbox.root, "two")];
  for (const out of outputs) {
    await run(Deno.execPath(), ["run", "-A", "--quiet", "rootfs/build.ts", "--out", out], REPO);
  }
  for (const name of ["rootfs.tar.gz", "manifest.json"]) {
    const [one, two] = await Promise.all(outputs.map((out) => Deno.readFile(join(out, name))));
    assert.deepEqual(one, two, name);
    assert.deepEqual(one, await Deno.readFile(join(DIST, name)), `${name} equals rootfs/dist`);
  }
  const manifest = await manifestOf(outputs[0]!);
  const tarball = await Deno.readFile(join(outputs[0]!, "rootfs.tar.gz"));
  assert.equal(manifest.tarball.size, tarball.length);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", tarball));
  assert.equal(
    manifest.tarball.sha256,
    [...digest].map((b) => b.toString(16).padStart(2, "0")).join(""),
  );
  assert.equal(manifest.fileCount, manifest.files.length);
});

Deno.test("the image holds users, name service files, CA certificates and every mount point", async () => {
  await ensureImageBuilt();
  const manifest = await manifestOf(DIST);
  const byPath = new Map(manifest.files.map((file) => [file.path, file]));
  for (
    const dir of [
      "proc",
      "dev",
      "sys",
      "tmp",
      "var/lib/openshell",
      "run/openshell",
      "usr/local/lib/openshell",
    ]
  ) {
    assert.deepEqual(byPath.get(dir), { type: "directory", path: dir, mode: 0o755 }, dir);
  }
  const program = byPath.get("usr/local/bin/openshell");
  assert.equal(program?.type, "file");
  assert.equal(program?.mode, 0o755);
  assert.equal(program?.type === "file" && program.size, 0);
  assert.ok(manifest.files.every((file) => file.type !== "directory" || file.mode === 0o755));
  assert.ok(manifest.files.every((file) => file.type === "symlink" || (file.mode & 0o004) !== 0));
  const resolv = byPath.get("etc/resolv.conf");
  assert.equal(resolv?.type === "file" && resolv.size, 0);
  for (const path of ["etc/nsswitch.conf", "etc/hosts", "lib/x86_64-linux-gnu/libnss_files.so.2"]) {
    assert.ok(byPath.has(path), path);
  }
  const ca = byPath.get("etc/ssl/certs/ca-certificates.crt");
  assert.ok(ca?.type === "file" && ca.size > 100_000, "CA bundle present");

  await using sandbox = await createSandbox();
  const unpack = await runCli(sandbox, ["bundle", "unpack"]);
  assert.equal(unpack.code, 0, unpack.stderr);
  const rootfs = unpack.stdout.trim();
  const passwd = await Deno.readTextFile(join(rootfs, "etc/passwd"));
  assert.match(passwd, /^root:x:0:0:/m);
  assert.match(passwd, /^nonroot:x:65532:65532:/m);
  const group = await Deno.readTextFile(join(rootfs, "etc/group"));
  assert.match(group, /^root:x:0:/m);
  assert.match(group, /^nonroot:x:65532:/m);
  const bundle = await Deno.readTextFile(join(rootfs, "etc/ssl/certs/ca-certificates.crt"));
  assert.ok((bundle.match(/BEGIN CERTIFICATE/g) ?? []).length > 100);
});

Deno.test("bundle verify passes on the real image for the program that built it", async () => {
  await using sandbox = await createSandbox();
  await ensureImageBuilt();
  const result = await runCli(sandbox, ["bundle", "verify"]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(
    result.stdout,
    new RegExp(`^checked /usr/local/bin/openshell \\(${Deno.execPath()}\\)$`, "m"),
  );
  assert.match(result.stdout, /^checked \/lib\/x86_64-linux-gnu\/libc\.so\.6$/m);
  assert.doesNotMatch(result.stdout, /missing/);
  assert.match(result.stderr, /The closure of ".*" resolves inside ".*"/);

  const json = await runCli(sandbox, [
    "bundle",
    "verify",
    "-o",
    "json",
    "--entrypoint",
    Deno.execPath(),
  ]);
  assert.equal(json.code, 0, json.stderr);
  const report = JSON.parse(json.stdout);
  assert.equal(report.ok, true);
  assert.deepEqual(report.missing, []);
  for (
    const path of [
      "/lib64/ld-linux-x86-64.so.2",
      "/lib/x86_64-linux-gnu/libm.so.6",
      "/lib/x86_64-linux-gnu/libgcc_s.so.1",
    ]
  ) {
    assert.ok(report.resolved.includes(path), path);
  }
});

Deno.test("bundle verify fails on a copy of the image with a library deleted", async () => {
  await using sandbox = await createSandbox();
  await ensureImageBuilt();
  const unpack = await runCli(sandbox, ["bundle", "unpack"]);
  assert.equal(unpack.code, 0, unpack.stderr);
  const broken = join(sandbox.root, "broken");
  await run("cp", ["-a", unpack.stdout.trim(), broken]);
  await run("chmod", ["-R", "u+w", broken]);
  await Deno.remove(join(broken, "lib/x86_64-linux-gnu/libm.so.6"));

  const result = await runCli(sandbox, ["bundle", "verify", "--rootfs", broken]);
  assert.equal(result.code, 1);
  assert.match(
    result.stdout,
    /^missing libm\.so\.6 \(needed by \/usr\/local\/bin\/openshell\): not found$/m,
  );
  assert.match(
    result.stderr,
    /error: The rootfs ".*broken" is missing \d+ part\(s\) of the program's closure/,
  );

  const json = await runCli(sandbox, ["bundle", "verify", "--rootfs", broken, "-o", "json"]);
  assert.equal(json.code, 1);
  const report = JSON.parse(json.stdout);
  assert.equal(report.ok, false);
  assert.ok(report.missing.includes("libm.so.6 (needed by /usr/local/bin/openshell): not found"));

  await Deno.remove(join(broken, "lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"));
  const noLoader = await runCli(sandbox, ["bundle", "verify", "--rootfs", broken, "-o", "json"]);
  assert.ok(
    JSON.parse(noLoader.stdout).missing.includes(
      "/lib64/ld-linux-x86-64.so.2 (interpreter of /usr/local/bin/openshell): not found",
    ),
  );
});

Deno.test("bundle: a missing --entrypoint or --rootfs, or an unknown format, is a usage error", async () => {
  await using sandbox = await createSandbox();
  const entry = await runCli(sandbox, ["bundle", "verify", "--entrypoint", "/no/such/file"]);
  assert.equal(entry.code, 2);
  assert.match(entry.stderr, /error: Cannot read --entrypoint "\/no\/such\/file": not a file/);
  const root = await runCli(sandbox, ["bundle", "verify", "--rootfs", join(sandbox.root, "nope")]);
  assert.equal(root.code, 2);
  assert.match(root.stderr, /error: Cannot read --rootfs ".*nope": not a directory/);
  const format = await runCli(sandbox, ["bundle", "inspect", "-o", "xml"]);
  assert.equal(format.code, 2);
  assert.equal(format.stdout, "");
  assert.match(format.stderr, /argument 'xml' is invalid/);
});
