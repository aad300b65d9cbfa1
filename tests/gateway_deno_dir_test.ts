/**
 * The gateway's Deno cache made ahead: made by the launcher at the container's paths, its
 * emitted code bound read-only and a fresh copy of its SQLite caches for each start, removed
 * with the bundle, nothing the gateway writes reaching the template or a later start; made
 * anew when a source it holds changes, launches starting together never pulling it from under
 * each other (its lock), a running gateway loading what it still needs once its template is
 * gone, `bundle gc` removing those of sources gone. Run for real: serve as root (the copy
 * handed to uid 65532) and as the ordinary test user (rootless), with youki.
 */
import assert from "node:assert/strict";
import { basename, dirname, join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { CONTAINER_PATHS, ROOT_MODE_HOST_ID } from "../src/contract/mod.ts";
import { denoDirTemplateFresh, stageDenoDir } from "../src/container/mod.ts";
import { freePort } from "./_helpers/loopback.ts";
import { pathExists, removeTree } from "../src/files/mod.ts";
import { onPath } from "./_helpers/run_command.ts";
import { createSandbox, REPO, runCli, type Sandbox } from "./_helpers/sandbox.ts";
import { grpcHealth, SOURCE_DIR } from "./_helpers/gateway_process.ts";
import {
  assertNothingLeft,
  createServeSandbox,
  gatewayPid,
  getJson,
  rootServeTestsIgnored,
  serveRuntimeDir,
  startServe,
  type StartServeOptions,
  uniqueGatewayName,
} from "./_helpers/serve_fixture.ts";
import { asUser, TEST_USER, userIds } from "./_helpers/test_users.ts";
import { runCommand } from "./_helpers/run_command.ts";
import { sharedCliArgv } from "./_helpers/shared_checkout.ts";

const ignoreRoot = await rootServeTestsIgnored("Deno cache tests as root");
const user = await userIds(TEST_USER);
const ignoreRootless = ignoreRoot || !user || !(await onPath("unshare"));

/** Where the gateway's entry module is emitted in a Deno cache made at the container's paths. */
const EMITTED_ENTRY = join("gen/file", `${CONTAINER_PATHS.serverEntry}.js`);

/** Every file of a tree by its relative path, with its bytes and owner. */
async function tree(root: string): Promise<Map<string, { text: string; uid: number }>> {
  const found = new Map<string, { text: string; uid: number }>();
  const walk = async (dir: string, prefix: string) => {
    for await (const entry of Deno.readDir(dir)) {
      const path = join(dir, entry.name);
      const name = prefix === "" ? entry.name : `${prefix}/${entry.name}`;
      const info = await Deno.lstat(path);
      if (entry.isDirectory) await walk(path, name);
      else {
        const text = entry.isSymlink
          ? `-> ${await Deno.readLink(path)}`
          : await Deno.readTextFile(path);
        found.set(name, { text, uid: info.uid! });
      }
    }
  };
  await walk(root, "");
  return found;
}

/** The modules a Deno cache holds the dependency analysis of, with their sources' hashes. */
async function analysedModules(denoDir: string): Promise<string[]> {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.copyFile(join(denoDir, "dep_analysis_cache_v2"), join(dir, "dep_analysis_cache_v2"));
    // Its write-ahead log, unless SQLite has folded it in.
    await Deno.copyFile(
      join(denoDir, "dep_analysis_cache_v2-wal"),
      join(dir, "dep_analysis_cache_v2-wal"),
    ).catch((error) => {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    });
    const db = new DatabaseSync(join(dir, "dep_analysis_cache_v2"));
    try {
      return db.prepare("SELECT specifier, CAST(source_hash AS TEXT) AS hash FROM moduleinfocache")
        .all()
        .map((row) => `${row.specifier} ${row.hash}`).sort();
    } finally {
      db.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The mount options of `target` as process `pid` sees it, or undefined when not mounted. */
async function mountedAt(pid: number, target: string): Promise<string[] | undefined> {
  for (const line of (await Deno.readTextFile(`/proc/${pid}/mountinfo`)).split("\n")) {
    const fields = line.split(" ");
    if (fields[4] === target) return fields[5]!.split(",");
  }
  return undefined;
}

/** The host path bound at `destination` in a staged bundle's OCI config. */
async function boundAt(bundle: string, destination: string): Promise<string> {
  const config = JSON.parse(await Deno.readTextFile(join(bundle, "config.json")));
  const mount = config.mounts.find((m: { destination: string }) => m.destination === destination);
  assert.ok(mount, `nothing is bound at ${destination}`);
  return mount.source;
}

/**
 * Serves a gateway in `sandbox` (run as `run` says), checks the Deno cache it runs with:
 * the template's emitted JavaScript, the launcher's and read-only even to root inside the
 * container, and this start's own writable part, the container's root's; lets `whileRunning`
 * write where the gateway could; stops it and checks that its part went with its bundle.
 * Returns the template's path and its files as they were while the gateway ran.
 */
async function serveWithCache(
  sandbox: Sandbox,
  owner: number,
  run: Pick<StartServeOptions, "user" | "program">,
  whileRunning: (root: string) => Promise<void> = async () => {},
) {
  const name = uniqueGatewayName("denodir");
  const port = freePort();
  await using serve = startServe(
    sandbox,
    ["--name", name, "--listen", `127.0.0.1:${port}`],
    run,
  );
  const containerId = await serve.ready();
  const bundle = join(serveRuntimeDir(sandbox), "bundles", containerId);
  const writable = join(bundle, "deno");
  assert.equal(await boundAt(bundle, CONTAINER_PATHS.denoDir), writable);
  const emitted = await boundAt(bundle, `${CONTAINER_PATHS.denoDir}/gen`);
  const template = dirname(emitted);
  const gateway = await gatewayPid(serve.child.pid);
  assert.ok((await mountedAt(gateway, CONTAINER_PATHS.denoDir))?.includes("rw"));
  assert.ok((await mountedAt(gateway, `${CONTAINER_PATHS.denoDir}/gen`))?.includes("ro"));
  const made = await tree(template);
  assert.ok(made.has(EMITTED_ENTRY), `the template holds no ${EMITTED_ENTRY}`);
  const launcher = run.user === undefined ? Deno.uid() : owner;
  for (const [path, file] of made) assert.equal(file.uid, launcher, path);
  const copied = await tree(writable);
  assert.ok(copied.has("dep_analysis_cache_v2"), "no copy of the dependency analysis");
  // It found every module it loaded analysed already: it added none.
  assert.deepEqual(await analysedModules(writable), await analysedModules(template));
  for (const [path, file] of copied) {
    assert.equal(file.uid, owner, `${path} is not the container's root's`);
  }
  // Through the gateway's own mounts, with root's rights: the emitted code cannot be changed.
  const root = `/proc/${gateway}/root`;
  await assert.rejects(
    Deno.writeTextFile(join(root, CONTAINER_PATHS.denoDir, EMITTED_ENTRY), "planted"),
    /Read-only file system/,
  );
  assert.equal((await getJson(`http://127.0.0.1:${port}/healthz`)).status, 200);
  await whileRunning(root);
  assert.equal((await serve.stop()).code, 0);
  await assertNothingLeft(sandbox, name);
  assert.equal(await Deno.stat(writable).catch(() => undefined), undefined, "its part is left");
  return { template, made };
}

/**
 * Templates an earlier launch of the ordinary test user left in `sandbox`'s runtime dir: of
 * sources since removed (`gone`), of another Deno (`older`), and of sources still there
 * (`kept`). Returns the templates' dir.
 */
async function plantTemplates(sandbox: Sandbox): Promise<string> {
  const templates = join(serveRuntimeDir(sandbox), "deno-dir");
  const records = {
    gone: { deno: Deno.version.deno, sourceDir: join(sandbox.root, "removed-src") },
    older: { deno: "1.0.0", sourceDir: sandbox.root },
    kept: { deno: Deno.version.deno, sourceDir: sandbox.root },
  };
  const made = [serveRuntimeDir(sandbox), templates];
  for (const [name, record] of Object.entries(records)) {
    await Deno.mkdir(join(templates, name), { recursive: true });
    const file = join(templates, name, "openshell-template.json");
    await Deno.writeTextFile(file, JSON.stringify({ ...record, madeAt: Date.now() }));
    made.push(join(templates, name), file);
  }
  for (const path of made) await Deno.chown(path, user!.uid, user!.gid);
  await Deno.chmod(serveRuntimeDir(sandbox), 0o700);
  return templates;
}

Deno.test({
  name: "serve as root: the gateway runs with a Deno cache made ahead at the container's " +
    "paths, its emitted code read-only, its caches its own; what it writes reaches no later start",
  ignore: ignoreRoot,
  async fn() {
    await using sandbox = await createServeSandbox();
    const { argv } = await programCopy(sandbox);
    const planted = join(CONTAINER_PATHS.denoDir, "dep_analysis_cache_v2");
    const first = await serveWithCache(
      sandbox,
      ROOT_MODE_HOST_ID,
      { program: argv },
      async (root) => {
        // What a compromised gateway could do there: rewrite its dependency analysis.
        await Deno.writeTextFile(join(root, planted), "planted");
      },
    );
    try {
      assert.deepEqual(await tree(first.template), first.made);
      const second = await serveWithCache(
        sandbox,
        ROOT_MODE_HOST_ID,
        { program: argv },
        async (root) => {
          assert.notEqual(await Deno.readTextFile(join(root, planted)), "planted");
        },
      );
      assert.equal(second.template, first.template);
      assert.deepEqual(second.made, first.made);
    } finally {
      await removeTree(first.template);
    }
  },
});

Deno.test({
  name: "rootless serve: the gateway runs with a Deno cache made ahead by the ordinary user, " +
    "its own part removed with its bundle; making it removes those of sources gone or another Deno",
  ignore: ignoreRootless,
  async fn() {
    await using sandbox = await createServeSandbox(user!);
    const templates = await plantTemplates(sandbox);
    const { template } = await serveWithCache(sandbox, user!.uid, { user: TEST_USER });
    assert.deepEqual(
      (await Array.fromAsync(Deno.readDir(templates))).map((entry) => entry.name).sort(),
      [basename(template), "kept"].sort(),
    );
  },
});

/**
 * A copy of the program in `sandbox` (its sources copied, what else it runs with shared), and
 * the command line that serves from it: its Deno cache template is this test's alone, and the
 * change times of its sources are the test's to move, as are no other test's or developer's.
 * The container's root can read it, so serve runs the copy's sources as they are (not a copy
 * of its own, made as it starts).
 */
async function programCopy(sandbox: Sandbox): Promise<{ argv: string[]; source: string }> {
  const root = join(sandbox.root, "program");
  await Deno.mkdir(join(root, "rootfs"), { recursive: true });
  for (const part of ["src", "deno.json", "deno.lock", "rootfs/dist"]) {
    const copy = await runCommand(["cp", "-a", join(REPO, part), join(root, part)], {
      env: { PATH: "/usr/bin:/bin" },
    });
    assert.equal(copy.code, 0, copy.stderr);
  }
  await Deno.symlink(join(REPO, "node_modules"), join(root, "node_modules"));
  // Into the next second, as Deno tells change times in whole seconds: a template made from
  // then on is fresh.
  await new Promise((resolve) => setTimeout(resolve, 1000 - Date.now() % 1000));
  return {
    argv: [Deno.execPath(), "run", "-A", "--quiet", join(root, "src/main.ts")],
    source: join(root, "src/server/main.ts"),
  };
}

/** When the template at `template` was made, as its record says. */
async function madeAt(template: string): Promise<number> {
  return JSON.parse(await Deno.readTextFile(join(template, "openshell-template.json"))).madeAt;
}

/** Moves the change time of `path` on, its content and other times kept. */
async function touchChangeTime(path: string): Promise<void> {
  const info = await Deno.stat(path);
  await Deno.utime(path, info.atime!, info.mtime!);
}

Deno.test({
  name: "serve as root: a gateway whose template is made again by a later start, the old one " +
    "removed, still loads its HTTP/2 and gRPC modules on its first HTTP/2 client",
  ignore: ignoreRoot,
  async fn() {
    await using sandbox = await createServeSandbox();
    const program = await programCopy(sandbox);
    const start = async (name: string, port: number) => {
      const serve = startServe(sandbox, ["--name", name, "--listen", `127.0.0.1:${port}`], {
        program: program.argv,
      });
      const containerId = await serve.ready();
      const bundle = join(serveRuntimeDir(sandbox), "bundles", containerId);
      return { serve, template: dirname(await boundAt(bundle, `${CONTAINER_PATHS.denoDir}/gen`)) };
    };
    const firstName = uniqueGatewayName("denodir");
    const firstPort = freePort();
    const first = await start(firstName, firstPort);
    await using _first = first.serve;
    try {
      const made = await madeAt(first.template);
      // A source's change time moves on: the next start makes the template again and removes
      // the one the first gateway runs from.
      await touchChangeTime(program.source);
      const secondName = uniqueGatewayName("denodir");
      const second = await start(secondName, freePort());
      await using _second = second.serve;
      assert.equal(second.template, first.template);
      assert.ok(await madeAt(second.template) > made, "the template was not made again");
      // What the first gateway has bound is the removed template: its emitted code is gone.
      const gateway = await gatewayPid(first.serve.child.pid);
      const bound = `/proc/${gateway}/root${CONTAINER_PATHS.denoDir}/gen`;
      assert.deepEqual(await Array.fromAsync(Deno.readDir(bound)), []);
      assert.equal(await grpcHealth(`http://127.0.0.1:${firstPort}`), "0");
      for (const [name, serve] of [[firstName, first.serve], [secondName, second.serve]] as const) {
        assert.equal((await serve.stop()).code, 0);
        await assertNothingLeft(sandbox, name);
      }
    } finally {
      await removeTree(first.template);
    }
  },
});

Deno.test({
  name: "serve as root: gateways started together right after a source changed all start, " +
    "each from a whole template that stays bound",
  ignore: ignoreRoot,
  async fn() {
    await using sandbox = await createServeSandbox();
    const program = await programCopy(sandbox);
    // Sources no template was made from yet: each start finds none fresh.
    const names = [1, 2, 3].map(() => uniqueGatewayName("denodir"));
    const serves = names.map((name) =>
      startServe(sandbox, ["--name", name, "--listen", `127.0.0.1:${freePort()}`], {
        program: program.argv,
      })
    );
    const templates = new Set<string>();
    try {
      const started = await Promise.allSettled(serves.map((serve) => serve.ready()));
      for (const [index, result] of started.entries()) {
        assert.equal(result.status, "fulfilled", serves[index]!.stderr());
        const bundle = join(serveRuntimeDir(sandbox), "bundles", result.value);
        templates.add(dirname(await boundAt(bundle, `${CONTAINER_PATHS.denoDir}/gen`)));
      }
      for (const serve of serves) {
        const gateway = await gatewayPid(serve.child.pid);
        const root = `/proc/${gateway}/root`;
        assert.ok((await mountedAt(gateway, `${CONTAINER_PATHS.denoDir}/gen`))?.includes("ro"));
        assert.ok(await pathExists(join(root, CONTAINER_PATHS.denoDir, EMITTED_ENTRY)));
      }
      for (const serve of serves) assert.equal((await serve.stop()).code, 0);
    } finally {
      for (const serve of serves) await serve[Symbol.asyncDispose]();
      for (const template of templates) await removeTree(template);
    }
    for (const name of names) await assertNothingLeft(sandbox, name);
  },
});

Deno.test({
  name: "bundle gc removes the Deno cache templates of sources gone or of another Deno, once " +
    "no launch holds them, and says so as of the other entries it removes",
  ignore: ignoreRootless,
  async fn() {
    await using sandbox = await createServeSandbox(user!);
    const templates = await plantTemplates(sandbox);
    const gc = (args: string[] = []) =>
      runCommand(asUser(TEST_USER, sharedCliArgv(["bundle", "gc", ...args])), {
        env: sandbox.env,
      });
    // A launch holds the templates (shared) while its gateway starts: gc waits for it.
    const lockPath = join(serveRuntimeDir(sandbox), "deno-dir.lock");
    const lock = await Deno.open(lockPath, { read: true, write: true, create: true });
    await Deno.chown(lockPath, user!.uid, user!.gid);
    await lock.lock(false);
    const collecting = gc(["-o", "json"]);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const names = async () =>
      (await Array.fromAsync(Deno.readDir(templates))).map((entry) => entry.name).sort();
    assert.deepEqual(await names(), ["gone", "kept", "older"], "removed while a launch held them");
    lock.close();
    const json = await collecting;
    assert.equal(json.code, 0, json.stderr);
    const orphans = [join(templates, "gone"), join(templates, "older")];
    assert.deepEqual(JSON.parse(json.stdout), { removed: orphans });
    assert.deepEqual(await names(), ["kept"]);
    await plantTemplates(sandbox);
    const text = await gc();
    assert.equal(text.code, 0, text.stderr);
    assert.equal(text.stdout, orphans.map((path) => `${path}\n`).join(""));
    assert.match(text.stderr, /Removed 2 cache entries/);
  },
});

Deno.test("denoDirTemplateFresh: made by this Deno from these sources after their last change", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const sources = join(dir, "src");
    const template = join(dir, "template");
    const emitted = join(template, "gen/file", CONTAINER_PATHS.source, "server");
    await Deno.mkdir(join(sources, "server"), { recursive: true });
    await Deno.mkdir(emitted, { recursive: true });
    await Deno.writeTextFile(join(sources, "server/main.ts"), "export {};\n");
    await Deno.writeTextFile(join(emitted, "main.ts.js"), "export {};\n");
    const record = (fields: Record<string, unknown>) =>
      Deno.writeTextFile(
        join(template, "openshell-template.json"),
        JSON.stringify({
          deno: Deno.version.deno,
          sourceDir: sources,
          madeAt: Date.now(),
          ...fields,
        }),
      );
    assert.equal(denoDirTemplateFresh(template, sources), false, "no record");
    await record({ madeAt: Date.now() + 1000 });
    assert.equal(denoDirTemplateFresh(template, sources), true);
    assert.equal(denoDirTemplateFresh(template, join(dir, "elsewhere")), false);
    await record({ madeAt: Date.now() + 1000, deno: "0.0.1" });
    assert.equal(denoDirTemplateFresh(template, sources), false, "another Deno's");
    await record({ madeAt: Date.now() - 60_000 });
    assert.equal(denoDirTemplateFresh(template, sources), false, "a source changed since");
    // Its times set back (as a copy or a package install does): only its change time tells, in
    // whole seconds, so a template made in the same second may be older.
    const source = join(sources, "server/main.ts");
    await Deno.utime(source, new Date(0), new Date(0));
    const changed = (await Deno.stat(source)).ctime!.getTime();
    await record({ madeAt: changed + 500 });
    assert.equal(denoDirTemplateFresh(template, sources), false, "changed in the same second");
    await record({ madeAt: changed + 1000 });
    assert.equal(denoDirTemplateFresh(template, sources), true, "changed the second before");
    await record({ madeAt: Date.now() + 1000 });
    await Deno.remove(join(sources, "server/main.ts"));
    assert.equal(denoDirTemplateFresh(template, sources), false, "a source is gone");
    await Deno.writeTextFile(join(sources, "server/main.ts"), "export {};\n");
    await Deno.remove(join(emitted, "main.ts.js"));
    await record({ madeAt: Date.now() + 1000 });
    assert.equal(denoDirTemplateFresh(template, sources), false, "it holds no module");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("stageDenoDir: private copies of the SQLite caches (not their shared memory) and an empty mount point for the emitted code", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const template = join(dir, "template");
    await Deno.mkdir(join(template, "gen/file"), { recursive: true });
    await Deno.writeTextFile(join(template, "gen/file/a.ts.js"), "a");
    await Deno.writeTextFile(join(template, "dep_analysis_cache_v2"), "db", { mode: 0o644 });
    await Deno.writeTextFile(join(template, "dep_analysis_cache_v2-wal"), "wal");
    await Deno.writeTextFile(join(template, "dep_analysis_cache_v2-shm"), "shm");
    await Deno.writeTextFile(join(template, "openshell-template.json"), "{}");
    const copy = join(dir, "copy");
    stageDenoDir(template, copy);
    const copied = await tree(copy);
    assert.deepEqual([...copied.keys()].sort(), [
      "dep_analysis_cache_v2",
      "dep_analysis_cache_v2-wal",
    ]);
    assert.equal(copied.get("dep_analysis_cache_v2-wal")!.text, "wal");
    assert.deepEqual(await Array.fromAsync(Deno.readDir(join(copy, "gen"))), []);
    for (const path of ["", "gen"]) {
      assert.equal((await Deno.stat(join(copy, path))).mode! & 0o777, 0o700, path);
    }
    for (const path of copied.keys()) {
      assert.equal((await Deno.stat(join(copy, path))).mode! & 0o777, 0o600, path);
    }
    assert.throws(() => stageDenoDir(template, copy), Deno.errors.AlreadyExists);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** The rootfs `bundle unpack` stages in `sandbox`. */
async function stagedRootfs(sandbox: Sandbox): Promise<string> {
  const unpack = await runCli(sandbox, ["bundle", "unpack"]);
  assert.equal(unpack.code, 0, unpack.stderr);
  return unpack.stdout.trim();
}

/** Runs `count` launches' use of the template at once (see `_helpers/deno_dir_launch.ts`). */
function launchesAtOnce(
  count: number,
  args: { runtimeDir: string; rootfs: string; sourceDir: string; staged: string },
  holdMs: number,
): Promise<Record<string, unknown>[]> {
  return Promise.all(Array.from({ length: count }, async (_, index) => {
    const output = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        LAUNCH_SCRIPT,
        args.runtimeDir,
        args.rootfs,
        args.sourceDir,
        join(args.staged, `${index}-${crypto.randomUUID()}`),
        String(holdMs),
      ],
      stderr: "inherit",
    }).output();
    assert.ok(output.success);
    return JSON.parse(new TextDecoder().decode(output.stdout));
  }));
}

/** What a launch in `sandbox` takes the template from: a copy of the sources, its own dirs. */
async function launchSetup(sandbox: Sandbox, runtime = "openshell-runtime") {
  const sourceDir = join(sandbox.root, "src");
  if (!(await pathExists(sourceDir))) {
    await new Deno.Command("cp", { args: ["-a", SOURCE_DIR, sourceDir] }).output();
  }
  const args = {
    runtimeDir: join(sandbox.root, runtime),
    rootfs: await stagedRootfs(sandbox),
    sourceDir,
    staged: join(sandbox.root, `${runtime}-staged`),
  };
  await Deno.mkdir(args.runtimeDir);
  await Deno.mkdir(args.staged);
  return args;
}

const LAUNCH_SCRIPT = join(import.meta.dirname!, "_helpers/deno_dir_launch.ts");

Deno.test({
  name: "launches starting together after a source changed: one makes the template again, " +
    "each stages from it whole and keeps it until done; none starts without it",
  ignore: !(await onPath("unshare")),
  async fn() {
    await using sandbox = await createSandbox();
    const args = await launchSetup(sandbox);
    const { sourceDir } = args;
    const [first] = await launchesAtOnce(1, args, 0);
    assert.ok(first!.entry, "no template made");
    // A source changes (touched): every launch finds the template stale. Into the next second,
    // as Deno tells change times in whole seconds: a template made from then on is fresh.
    await Deno.utime(join(sourceDir, "server/main.ts"), new Date(), new Date());
    await new Promise((resolve) => setTimeout(resolve, 1000 - Date.now() % 1000));
    const launches = await launchesAtOnce(4, args, 300);
    for (const launch of launches) {
      assert.ok(launch.record, "a launch started without the template");
      assert.deepEqual(launch, launches[0], "launches saw different templates");
      assert.equal(launch.same, true, "the template was replaced while a launch held it");
      assert.equal(launch.entry, true);
    }
    const record = launches[0]!.record as { madeAt: number };
    assert.ok(record.madeAt > (first!.record as { madeAt: number }).madeAt, "not made again");
    for await (const entry of Deno.readDir(args.staged)) {
      assert.ok(await Deno.stat(join(args.staged, entry.name, "dep_analysis_cache_v2")));
    }
  },
});

Deno.test({
  name: "a launch waits for the templates' lock at most 10 s (then starts without a template), " +
    "and a holder killed by SIGKILL holds it no more",
  ignore: !(await onPath("unshare")),
  async fn() {
    await using sandbox = await createSandbox();
    // Each holds the lock exclusive, as a launch making a template does, and never lets go.
    const holders = await Promise.all(["stuck", "killed"].map(async (runtime) => {
      const args = await launchSetup(sandbox, runtime);
      const holder = new Deno.Command(Deno.execPath(), {
        args: [
          "eval",
          `Deno.openSync(${JSON.stringify(join(args.runtimeDir, "deno-dir.lock"))}, ` +
          `{ read: true, write: true, create: true }).lockSync(true); console.log("held"); ` +
          `setInterval(() => {}, 60_000);`,
        ],
        stdout: "piped",
      }).spawn();
      const reader = holder.stdout.pipeThrough(new TextDecoderStream()).getReader();
      assert.equal((await reader.read()).value, "held\n");
      await reader.cancel();
      return { args, holder };
    }));
    try {
      const [stuck, killed] = holders;
      const started = performance.now();
      const waiting = launchesAtOnce(1, stuck!.args, 0);
      const freed = launchesAtOnce(1, killed!.args, 0);
      await new Promise((resolve) => setTimeout(resolve, 500));
      killed!.holder.kill("SIGKILL");
      const [afterKill] = await freed;
      assert.equal(afterKill!.entry, true, "no template once its holder was killed");
      assert.ok(performance.now() - started < 10_000, "waited out after its holder was killed");
      const [gaveUp] = await waiting;
      const waited = performance.now() - started;
      assert.deepEqual(gaveUp, {}, "a template with the lock held by another");
      assert.ok(waited >= 10_000 && waited < 20_000, `waited ${waited} ms`);
    } finally {
      for (const { holder } of holders) {
        try {
          holder.kill("SIGKILL");
        } catch {
          // already gone
        }
        await holder.status;
      }
    }
  },
});
