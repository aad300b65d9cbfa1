/**
 * The stop signals of a real `serve` started the way scripts start it: with SIGINT ignored
 * (a background job of a script) a SIGINT sent while the launch is still preparing stops it
 * all the same, and the state dir it made goes; with SIGHUP ignored (`nohup`) a hangup leaves
 * the gateway serving, and the stop that follows removes its served record before its lock; a
 * stop while the launch waits for the Deno cache templates' lock does not wait it out.
 */
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { freePort } from "./_helpers/loopback.ts";
import { pathExists } from "../src/files/mod.ts";
import {
  assertNothingLeft,
  createServeSandbox,
  getJson,
  rootServeTestsIgnored,
  servedRecordPath,
  serveRuntimeDir,
  startServe,
  uniqueGatewayName,
} from "./_helpers/serve_fixture.ts";
import { TEST_USER, userIds } from "./_helpers/test_users.ts";

/** The order in which the files `names` are removed from `dir`, once all of them are. */
async function removalsIn(dir: string, names: string[]): Promise<string[]> {
  const removed: string[] = [];
  const watcher = Deno.watchFs(dir, { recursive: false });
  const timer = setTimeout(() => watcher.close(), 30_000);
  for await (const event of watcher) {
    if (event.kind !== "remove") continue;
    for (const path of event.paths) {
      const file = path.slice(dir.length + 1);
      if (names.includes(file) && !removed.includes(file)) removed.push(file);
    }
    if (removed.length === names.length) break;
  }
  clearTimeout(timer);
  watcher.close();
  return removed;
}

const ignored = await rootServeTestsIgnored("stop signal tests");

Deno.test({
  name: "serve with SIGINT inherited ignored: a SIGINT while it prepares stops it, nothing left",
  ignore: ignored,
  async fn() {
    await using sandbox = await createServeSandbox();
    const name = uniqueGatewayName("sigint");
    await using serve = startServe(
      sandbox,
      ["--name", name, "--listen", `127.0.0.1:${freePort()}`],
      {
        prelude: `trap '' INT`,
      },
    );
    // The rootfs unpack into the empty cache is among its first steps: stop it then.
    const cache = join(sandbox.cache, "openshell");
    for (let i = 0; i < 20_000 && !(await Deno.stat(cache).then(() => true, () => false)); i++) {
      await new Promise((r) => setTimeout(r, 1));
    }
    serve.child.kill("SIGINT");
    const timer = setTimeout(() => serve.child.kill("SIGTERM"), 30_000);
    const outcome = await serve.finished();
    clearTimeout(timer);
    assert.doesNotMatch(outcome.stderr, /is ready at/, "it never served");
    assert.match(outcome.stderr, new RegExp(`Gateway "${name}" stopped before it was ready`));
    assert.equal(outcome.code, 0, outcome.stderr);
    await assertNothingLeft(sandbox, name);
    const stateDir = join(sandbox.state, "openshell", "gateways", name);
    assert.equal(await pathExists(stateDir), false, "the state dir it made is gone");
  },
});

Deno.test({
  name: "serve under nohup (SIGHUP inherited ignored) survives a hangup; SIGTERM still stops it",
  ignore: ignored,
  async fn() {
    await using sandbox = await createServeSandbox();
    const name = uniqueGatewayName("nohup");
    const port = freePort();
    await using serve = startServe(sandbox, [
      "--auth",
      "token",
      "--name",
      name,
      "--listen",
      `127.0.0.1:${port}`,
    ], {
      prelude: `trap '' HUP`,
    });
    await serve.ready();
    serve.child.kill("SIGHUP");
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal((await getJson(`http://127.0.0.1:${port}/healthz`)).status, 200);
    assert.doesNotMatch(serve.stderr(), /stopped/);
    // Removed while the lock is held: a launch that takes the name next keeps its own record.
    const nameDir = dirname(servedRecordPath(sandbox, name));
    // A file of the test's keeps the dir, emptied, from going: Deno reports no event of a file
    // whose dir is gone by the time it reads the event.
    const kept = join(nameDir, "kept-by-test");
    await Deno.writeTextFile(kept, "");
    const removals = removalsIn(nameDir, ["served.json", "lock"]);
    const outcome = await serve.stop("SIGTERM");
    assert.deepEqual(await removals, ["served.json", "lock"]);
    await Deno.remove(kept);
    await Deno.remove(nameDir);
    assert.equal(outcome.code, 0, outcome.stderr);
    assert.match(outcome.stderr, new RegExp(`Gateway "${name}" stopped`));
    await assertNothingLeft(sandbox, name);
  },
});

const user = await userIds(TEST_USER);

Deno.test({
  name: "a stop while serve waits for the Deno cache templates' lock stops it at once, " +
    "nothing left",
  ignore: ignored || !user,
  async fn() {
    // The ordinary test user's: its runtime dir, and so its templates' lock, is the sandbox's.
    await using sandbox = await createServeSandbox(user!);
    const runtimeDir = serveRuntimeDir(sandbox);
    await Deno.mkdir(runtimeDir, { mode: 0o700 });
    await Deno.chown(runtimeDir, user!.uid, user!.gid);
    const lockPath = join(runtimeDir, "deno-dir.lock");
    // Held exclusive, as a launch making a template holds it, for longer than the test.
    using lock = await Deno.open(lockPath, { read: true, write: true, create: true });
    await Deno.chown(lockPath, user!.uid, user!.gid);
    await lock.lock(true);
    const name = uniqueGatewayName("lockwait");
    await using serve = startServe(
      sandbox,
      ["--name", name, "--listen", `127.0.0.1:${freePort()}`],
      { user: TEST_USER },
    );
    // Waiting: it has the lock's file open.
    const holdsLockFile = async () => {
      for await (const fd of Deno.readDir(`/proc/${serve.child.pid}/fd`)) {
        const target = await Deno.readLink(`/proc/${serve.child.pid}/fd/${fd.name}`)
          .catch(() => "");
        if (target === lockPath) return true;
      }
      return false;
    };
    const deadline = Date.now() + 30_000;
    while (!(await holdsLockFile())) {
      assert.ok(Date.now() < deadline, `never waited for the lock; stderr:\n${serve.stderr()}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const started = performance.now();
    const outcome = await serve.stop("SIGTERM");
    const took = performance.now() - started;
    assert.ok(took < 3000, `it took ${Math.round(took)} ms to stop`);
    assert.equal(outcome.code, 0, outcome.stderr);
    assert.match(outcome.stderr, new RegExp(`Gateway "${name}" stopped before it was ready`));
    await assertNothingLeft(sandbox, name);
  },
});
