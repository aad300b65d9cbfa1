/**
 * scripts/dev and scripts/install-youki.sh run for real: silent when nothing needs installing,
 * the program's own help behind `scripts/dev --help`, and one cached youki build that the
 * package build reuses.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import denoJson from "../deno.json" with { type: "json" };
import { runCommand } from "./_helpers/run_command.ts";
import { denoDir, REPO } from "./_helpers/sandbox.ts";

const ENV = {
  PATH: "/usr/local/bin:/usr/bin:/bin",
  HOME: Deno.env.get("HOME") ?? "/root",
  DENO_DIR: denoDir(),
  NO_COLOR: "1",
};

function dev(args: string[]) {
  return runCommand([join(REPO, "scripts/dev"), ...args], { env: ENV, cwd: REPO });
}

Deno.test("scripts/dev is silent when everything is set up", async () => {
  const warm = await dev(["--version"]); // sets up whatever is missing (quietly or not)
  assert.equal(warm.code, 0, warm.stderr);
  const run = await dev(["--version"]);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stderr, "");
  assert.equal(run.stdout, `openshell ${denoJson.version}\n`);
});

Deno.test("scripts/dev --help shows its three commands, then the program's help", async () => {
  for (const flag of ["--help", "-h"]) {
    const run = await dev([flag]);
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.split("\n");
    assert.match(lines[0] ?? "", /^ {2}scripts\/dev serve \[ARGS\.\.\.\]/);
    assert.match(lines[1] ?? "", /^ {2}scripts\/dev test /);
    assert.match(lines[2] ?? "", /^ {2}scripts\/dev task NAME /);
    assert.match(run.stdout, /\nUsage: openshell /);
    assert.match(run.stdout, /\bgateway\b/);
  }
});

Deno.test("scripts/dev task runs a deno task with the pinned Deno, none being on PATH", async () => {
  assert.notEqual((await runCommand(["sh", "-c", "command -v deno"], { env: ENV })).code, 0);
  const run = await dev(["task", "package:deb", "--help"]);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /^Usage: packaging\/build_deb\.sh /m);
});

Deno.test("install-youki.sh: silent when youki is there; one cached build keyed by version and features", async () => {
  const script = join(REPO, "scripts/install-youki.sh");
  const quiet = await runCommand(["sh", script], { env: ENV });
  assert.equal(quiet.code, 0, quiet.stderr);
  assert.equal(quiet.stderr + quiet.stdout, "");
  const first = await runCommand(["sh", script, "--cached-path"], { env: ENV });
  assert.equal(first.code, 0, first.stderr);
  const cached = first.stdout.trim();
  assert.match(cached, /\/youki-0\.7\.0-seccomp-v1-v2\/bin\/youki$/);
  const version = await runCommand([cached, "--version"], { env: ENV });
  assert.match(version.stdout, /^youki version:? 0\.7\.0/);
  // A second ask reuses the cache: no build, no message.
  const again = await runCommand(["sh", script, "--cached-path"], { env: ENV });
  assert.deepEqual([again.code, again.stdout.trim(), again.stderr], [0, cached, ""]);
  const usage = await runCommand(["sh", script, "--bogus"], { env: ENV });
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /^error: unknown option '--bogus'/);
});

Deno.test("deno task compile --system-dir embeds the setting only while deno compile runs", async () => {
  const dir = await Deno.makeTempDir({ prefix: "openshell-compile-test-" });
  try {
    // A stand-in deno that records what it was asked and what .compile/ held at that moment.
    const record = join(dir, "record");
    await Deno.mkdir(join(dir, "bin"));
    await Deno.writeTextFile(
      join(dir, "bin/deno"),
      `#!/bin/sh
printf '%s\\n' "$*" >"${record}"
cat .compile/system-gateway-dir >>"${record}" 2>/dev/null || echo "no setting" >>"${record}"
`,
      { mode: 0o755 },
    );
    const env = { ...ENV, PATH: `${join(dir, "bin")}:/usr/bin:/bin` };
    const script = join(REPO, "scripts/compile.sh");
    const moved = await runCommand(
      ["sh", script, "--system-dir", "/srv/openshell", "--output", join(dir, "os")],
      { env, cwd: dir },
    );
    assert.equal(moved.code, 0, moved.stderr);
    assert.equal(
      await Deno.readTextFile(record),
      `compile -A --include rootfs/dist --include src/server --include .compile -o ${
        join(dir, "os")
      } src/main.ts\n/srv/openshell\n`,
    );
    assert.equal(await Deno.stat(join(REPO, ".compile")).catch(() => null), null);
    const plain = await runCommand(["sh", script], { env, cwd: dir });
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(
      await Deno.readTextFile(record),
      /src\/server -o .+\/dist\/openshell src\/main\.ts\nno setting\n$/,
    );
    const relative = await runCommand(["sh", script, "--system-dir", "etc/os"], { env });
    assert.equal(relative.code, 2);
    assert.match(relative.stderr, /^error: the system gateway directory must be an absolute path/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
