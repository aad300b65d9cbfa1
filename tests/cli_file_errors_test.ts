/**
 * Failed file operations through the real program: a full disk (a small tmpfs), a read-only
 * filesystem, a directory where a file belongs. Each is one `error:` line naming the path
 * and the OS reason, with a hint, and never reported as a bug.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { CommandResult } from "./_helpers/run_command.ts";
import { createSandbox, REPO, runCli } from "./_helpers/sandbox.ts";
import { sandboxRoots, writeEntry } from "./registry_fixture.ts";
import { freePort } from "./_helpers/loopback.ts";
import { createServeSandbox, startServe, uniqueGatewayName } from "./_helpers/serve_fixture.ts";
import { TEST_USER, userIds } from "./_helpers/test_users.ts";

const IS_ROOT = Deno.uid() === 0;
const testUser = await userIds(TEST_USER);
const MOUNTS = { ignore: !IS_ROOT }; // mounting a tmpfs needs root
if (!IS_ROOT) console.error("file error tests: the full and read-only disks need root; not run");

async function run(program: string, args: string[]): Promise<void> {
  const result = await new Deno.Command(program, { args, stderr: "piped" }).output();
  assert.equal(
    result.code,
    0,
    `${program} ${args.join(" ")}: ${new TextDecoder().decode(result.stderr)}`,
  );
}

/** A tmpfs at `dir`, full (`full`) or read-only (`ro`); unmounted on dispose. */
async function smallDisk(
  dir: string,
  kind: "full" | "ro",
  owner?: { uid: number; gid: number },
): Promise<AsyncDisposable> {
  await Deno.mkdir(dir, { recursive: true });
  const ids = owner ? `,mode=0700,uid=${owner.uid},gid=${owner.gid}` : ",mode=0755";
  await run("mount", ["-t", "tmpfs", "-o", `size=256k${ids}`, "tmpfs", dir]);
  if (kind === "full") {
    const file = await Deno.open(join(dir, ".fill"), { write: true, create: true });
    try {
      for (;;) await file.write(new Uint8Array(4096));
    } catch (error) {
      assert.equal((error as { code?: string }).code, "ENOSPC");
    } finally {
      file.close();
    }
  } else {
    await run("mount", ["-o", "remount,ro", dir]);
  }
  return { [Symbol.asyncDispose]: () => run("umount", [dir]) };
}

function userError(result: CommandResult, pattern: RegExp, hint: RegExp): void {
  assert.equal(result.code, 1, `stdout: ${result.stdout}\nstderr: ${result.stderr}`);
  const lines = result.stderr.trimEnd().split("\n");
  const error = lines.find((line) => line.startsWith("error: "));
  assert.ok(error, result.stderr);
  assert.match(error, pattern);
  assert.match(lines[lines.indexOf(error) + 1] ?? "", hint);
  assert.doesNotMatch(result.stderr, /bug in openshell|\n\s+at /);
}

const FULL_HINT = /^hint: the filesystem is full/;
const READ_ONLY_HINT = /^hint: the filesystem is mounted read-only/;

/** A sandbox whose `kind` dir is a small full or read-only disk; all undone on dispose. */
async function sandboxWith(kind: "config" | "cache" | "runtime", disk: "full" | "ro") {
  const sandbox = await createSandbox();
  const dir = join(sandbox.root, `${kind}-${disk}`);
  const mounted = await smallDisk(dir, disk);
  const key =
    { config: "XDG_CONFIG_HOME", cache: "XDG_CACHE_HOME", runtime: "XDG_RUNTIME_DIR" }[kind];
  sandbox.env[key] = dir;
  return {
    sandbox,
    dir,
    async [Symbol.asyncDispose]() {
      await mounted[Symbol.asyncDispose]();
      await sandbox[Symbol.asyncDispose]();
    },
  };
}

Deno.test({
  name: "a full config dir: gateway add names the file, says the disk is full, leaves nothing",
  ...MOUNTS,
  fn: async () => {
    await using disk = await sandboxWith("config", "full");
    const { sandbox, dir } = disk;
    const add = await runCli(sandbox, ["gateway", "add", "http://127.0.0.1:9"]);
    userError(
      add,
      new RegExp(
        `^error: Cannot (write|create directory) "${dir}/openshell[^"]*": no space left on device$`,
      ),
      FULL_HINT,
    );
    const left = await runCli(sandbox, ["gateway", "list", "-o", "json"]);
    assert.equal(left.stdout, "[]\n");
  },
});

Deno.test({
  name: "a read-only config dir: gateway add and select name the path and the reason",
  ...MOUNTS,
  fn: async () => {
    await using disk = await sandboxWith("config", "ro");
    const { sandbox, dir } = disk;
    await writeEntry(sandboxRoots(sandbox).system, "sys");
    const add = await runCli(sandbox, ["gateway", "add", "http://127.0.0.1:9"]);
    const pattern = new RegExp(
      `^error: Cannot create directory "${dir}/openshell": read-only file system$`,
    );
    userError(add, pattern, READ_ONLY_HINT);
    userError(await runCli(sandbox, ["gateway", "select", "sys"]), pattern, READ_ONLY_HINT);
  },
});

Deno.test({
  name: "a full or read-only cold cache: bundle unpack names the path and the reason",
  ...MOUNTS,
  fn: async () => {
    for (const kind of ["full", "ro"] as const) {
      await using disk = await sandboxWith("cache", kind);
      const { sandbox, dir } = disk;
      const unpack = await runCli(sandbox, ["bundle", "unpack"]);
      userError(
        unpack,
        kind === "full"
          ? new RegExp(`^error: Cannot [a-z ]+ "${dir}/openshell/[^"]+": no space left on device$`)
          : new RegExp(`^error: Cannot create directory "${dir}/openshell(/rootfs)?": read-only`),
        kind === "full" ? FULL_HINT : READ_ONLY_HINT,
      );
      // An interrupted unpack leaves no temp dir behind.
      const entries = await Array.fromAsync(Deno.readDir(join(dir, "openshell/rootfs"))).catch(
        () => [],
      );
      assert.deepEqual(entries.map((e) => e.name).filter((n) => n.startsWith(".")), []);
    }
  },
});

Deno.test({
  name: "a full runtime dir: rootless serve names the file it could not write",
  // Root's runtime dir is always /run/openshell; an ordinary user's follows XDG_RUNTIME_DIR.
  ignore: !IS_ROOT || testUser === undefined,
  fn: async () => {
    await using sandbox = await createServeSandbox(testUser!);
    const dir = join(sandbox.root, "runtime-full");
    await using _disk = await smallDisk(dir, "full", testUser!);
    sandbox.env.XDG_RUNTIME_DIR = dir;
    const name = uniqueGatewayName("full");
    await using serve = startServe(
      sandbox,
      ["--name", name, "--listen", `127.0.0.1:${freePort()}`, "--runtime", "runc"],
      { user: TEST_USER },
    );
    const outcome = await serve.finished();
    userError(
      outcome,
      new RegExp(`^error: Cannot [a-z ]+ "${dir}/openshell[^"]*": no space left on device$`),
      FULL_HINT,
    );
  },
});

Deno.test("a token path that is a directory: serve names it and does not start", async () => {
  await using sandbox = await createSandbox();
  const token = join(sandboxRoots(sandbox).user, "gateways/tok/token");
  await Deno.mkdir(token, { recursive: true });
  const serve = await runCli(sandbox, ["serve", "--name", "tok", "--listen", "127.0.0.1:18474"]);
  assert.equal(serve.code, 1, serve.stderr);
  assert.match(
    serve.stderr,
    new RegExp(
      `^error: Cannot read the gateway's API token "${token}": is a directory\nhint: a directory`,
      "m",
    ),
  );
  assert.doesNotMatch(serve.stderr, /bug in openshell/);
});

Deno.test("an image path that is a directory, a pipe or endless is refused naming the file", async () => {
  await using sandbox = await createSandbox();
  const manifest = join(REPO, "rootfs/dist/manifest.json");
  const image = async (name: string, tarball: (path: string) => Promise<void>) => {
    const dir = join(sandbox.root, name);
    await Deno.mkdir(dir);
    await Deno.copyFile(manifest, join(dir, "manifest.json"));
    await tarball(join(dir, "rootfs.tar.gz"));
    return dir;
  };
  const mkfifo = (path: string) => run("mkfifo", [path]);
  const cases: [string, RegExp][] = [
    [
      await image("dir", (p) => Deno.mkdir(p)),
      /Cannot read the rootfs image "[^"]+": is a directory$/,
    ],
    [
      await image("fifo", mkfifo),
      /"[^"]+fifo\/rootfs.tar.gz": not a regular file \(a named pipe\)$/,
    ],
    [
      await image("zero", (p) => Deno.symlink("/dev/zero", p)),
      /not a regular file \(a character device\)$/,
    ],
    [
      await image("sparse", (p) => run("truncate", ["-s", "16G", p])),
      /^error: Refusing rootfs image "[^"]+": size 17179869184 does not match the manifest's \d+$/,
    ],
    [join(sandbox.root, "dir/manifest.json"), /manifest "[^"]+": not a directory$/],
  ];
  const manifestPipe = join(sandbox.root, "manifest-pipe");
  await Deno.mkdir(manifestPipe);
  await mkfifo(join(manifestPipe, "manifest.json"));
  cases.push([manifestPipe, /manifest "[^"]+": not a regular file \(a named pipe\)$/]);
  for (const [dir, pattern] of cases) {
    const started = performance.now();
    const unpack = await runCli(sandbox, ["bundle", "unpack"], {
      env: { OPENSHELL_ROOTFS_IMAGE: dir },
    });
    assert.ok(performance.now() - started < 20_000, `${dir} took too long`);
    assert.equal(unpack.code, 1, unpack.stderr);
    const error = unpack.stderr.split("\n").find((line) => line.startsWith("error: ")) ?? "";
    assert.match(error, pattern);
    assert.doesNotMatch(unpack.stderr, /bug in openshell/);
  }
});
