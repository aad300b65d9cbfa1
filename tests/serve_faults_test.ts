/**
 * `serve` under faults, with real youki as root: stop signals at every moment of container
 * creation, two launches racing for one port, state dirs that belong to someone else, and
 * a cache entry tampered with behind the program's back.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { freePort } from "./_helpers/loopback.ts";
import { runCli, type Sandbox } from "./_helpers/sandbox.ts";
import {
  createServeSandbox,
  gatewayPid,
  getJson,
  leftovers,
  rootServeTestsIgnored,
  type ServeOutcome,
  type ServeProcess,
  startServe,
  uniqueGatewayName,
} from "./_helpers/serve_fixture.ts";

const ignore = await rootServeTestsIgnored("serve fault tests");

/** The serve's outcome, or a failure when it has not exited within `ms` (a hang). */
async function exitWithin(serve: ServeProcess, ms: number, what: string): Promise<ServeOutcome> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`serve did not exit within ${ms} ms (${what}):\n${serve.stderr()}`)),
      ms,
    );
  });
  try {
    return await Promise.race([serve.finished(), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Live processes whose command line mentions `text`. */
async function processesMentioning(text: string): Promise<number[]> {
  const found: number[] = [];
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name) || Number(entry.name) === Deno.pid) continue;
    const cmdline = await Deno.readTextFile(`/proc/${entry.name}/cmdline`).catch(() => "");
    if (cmdline.includes(text)) found.push(Number(entry.name));
  }
  return found;
}

function userGatewayDir(sandbox: Sandbox, name: string): string {
  return join(sandbox.config, "openshell/gateways", name);
}

const STOP_SIGNALS = ["SIGTERM", "SIGINT", "SIGHUP"] as const;
/** Launches per lane; two lanes run side by side. */
const RUNS_PER_LANE = 26;
/** Delays after "Starting container" cover the runtime's create and the gateway's start. */
const DELAY_STEP_MS = 7;

Deno.test({
  name:
    "serve stopped by SIGTERM, SIGINT or SIGHUP at any moment of container creation exits 0 and leaves nothing, 52 times",
  ignore,
  async fn() {
    const lane = async (laneIndex: number) => {
      // A sandbox per lane: what is left is counted per runtime dir.
      await using sandbox = await createServeSandbox();
      const name = uniqueGatewayName(`stop${laneIndex}`);
      const port = freePort();
      for (let run = 0; run < RUNS_PER_LANE; run++) {
        const signal = STOP_SIGNALS[(run + laneIndex) % STOP_SIGNALS.length]!;
        // Stepped through the create window in a scrambled order, with a little jitter.
        const delay = ((run * 11 + laneIndex * 5) % RUNS_PER_LANE) * DELAY_STEP_MS +
          Math.floor(Math.random() * DELAY_STEP_MS);
        const what = `lane ${laneIndex} run ${run}: ${signal} ${delay} ms into creation`;
        await using serve = startServe(sandbox, ["--name", name, "--listen", `127.0.0.1:${port}`]);
        const [, containerId] = await serve.waitForStderr(/Starting container "(\S+)"/);
        await new Promise((resolve) => setTimeout(resolve, delay));
        serve.child.kill(signal);
        const outcome = await exitWithin(serve, 15_000, what);
        assert.equal(outcome.code, 0, `${what}\n${outcome.stderr}`);
        assert.match(
          outcome.stderr,
          new RegExp(`^Gateway "${name}" stopped( before it was ready)?$`, "m"),
          what,
        );
        assert.doesNotMatch(outcome.stderr, /^error:/m, what);
        // No bundle (so no token file in it), no youki state, no launch record, no cgroup.
        assert.deepEqual(await leftovers(sandbox, name), [], what);
        const bundle = join(sandbox.runtime, "openshell/bundles", containerId!);
        for (const path of [bundle, join(bundle, "secrets/token")]) {
          assert.equal(await Deno.lstat(path).then(() => true, () => false), false, path);
        }
        assert.deepEqual(await processesMentioning(containerId!), [], `${what}: processes left`);
      }
    };
    await Promise.all([lane(0), lane(1)]);
  },
});

Deno.test({
  name: "a second stop signal kills a gateway that does not stop at once, and cleans up",
  ignore,
  async fn() {
    await using sandbox = await createServeSandbox();
    const name = uniqueGatewayName("hurry");
    await using serve = startServe(sandbox, [
      "--name",
      name,
      "--listen",
      `127.0.0.1:${freePort()}`,
    ]);
    const containerId = await serve.ready();
    // A frozen gateway cannot act on the stop: only the second signal ends the wait.
    Deno.kill(await gatewayPid(serve.child.pid), "SIGSTOP");
    const started = performance.now();
    serve.child.kill("SIGTERM");
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(await Deno.stat(`/proc/${serve.child.pid}`).then(() => true, () => false), true);
    serve.child.kill("SIGINT");
    const outcome = await exitWithin(serve, 5000, "second signal");
    assert.ok(performance.now() - started < 5000, "well before the 10 s grace period");
    assert.equal(outcome.code, 1, outcome.stderr);
    assert.match(
      outcome.stderr,
      new RegExp(`^error: Gateway "${name}" did not stop in time and was killed$`, "m"),
    );
    assert.deepEqual(await leftovers(sandbox, name), []);
    assert.deepEqual(await processesMentioning(containerId), []);
  },
});

Deno.test({
  name: "two serves racing for one port: one is ready, the other fails naming the address",
  ignore,
  async fn() {
    await using sandbox = await createServeSandbox();
    for (let round = 0; round < 3; round++) {
      const names = [uniqueGatewayName("race-a"), uniqueGatewayName("race-b")];
      const listen = `127.0.0.1:${freePort()}`;
      await using first = startServe(sandbox, ["--name", names[0]!, "--listen", listen]);
      await using second = startServe(sandbox, ["--name", names[1]!, "--listen", listen]);
      const serves = [first, second];
      // Whoever answers first is the winner; the other must exit on its own.
      let timer: ReturnType<typeof setTimeout> | undefined;
      const ended = await Promise.race([
        ...serves.map((s, i) => s.finished().then(() => i)),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error("neither serve gave up")), 60_000);
        }),
      ]).finally(() => clearTimeout(timer));
      const loser = serves[ended]!;
      const winner = serves[1 - ended]!;
      const lost = await loser.finished();
      assert.equal(lost.code, 1, lost.stderr);
      assert.match(lost.stderr, new RegExp(`^error: Address "${listen}" is already in use$`, "m"));
      assert.doesNotMatch(lost.stderr, /is ready at/);
      await winner.ready();
      const winnerName = names[1 - ended]!;
      const loserName = names[ended]!;
      const token = (await Deno.readTextFile(join(userGatewayDir(sandbox, winnerName), "token")))
        .trim();
      assert.equal((await getJson(`http://${listen}/v1/info`, token)).body.name, winnerName);
      // The loser registered nothing and is not listed.
      assert.equal(
        await Deno.lstat(join(userGatewayDir(sandbox, loserName), "metadata.json"))
          .then(() => true, () => false),
        false,
      );
      const list = await runCli(sandbox, ["gateway", "list", "-o", "json"]);
      const listed = JSON.parse(list.stdout).map((row: { name: string }) => row.name);
      assert.ok(listed.includes(winnerName) && !listed.includes(loserName), list.stdout);
      assert.equal((await winner.stop()).code, 0);
      for (const name of names) assert.deepEqual(await leftovers(sandbox, name), []);
    }
  },
});

Deno.test({
  name:
    "serve is not taken in by another server answering /healthz on its port once it has checked it",
  ignore,
  async fn() {
    await using sandbox = await createServeSandbox();
    const name = uniqueGatewayName("squat");
    const port = freePort();
    const listen = `127.0.0.1:${port}`;
    await using serve = startServe(sandbox, ["--name", name, "--listen", listen]);
    // Taken between serve's own check and the gateway's bind: the squatter says it is healthy.
    await serve.waitForStderr(/Starting container/);
    const asked: string[] = [];
    await using _squatter = Deno.serve({ hostname: "127.0.0.1", port, onListen() {} }, (req) => {
      asked.push(req.headers.get("authorization") ?? "");
      return Response.json({ ok: true });
    });
    const outcome = await exitWithin(serve, 30_000, "squatted port");
    assert.equal(outcome.code, 1, outcome.stderr);
    assert.match(outcome.stderr, new RegExp(`^error: Address "${listen}" is already in use$`, "m"));
    assert.doesNotMatch(outcome.stderr, /is ready at/);
    assert.ok(asked.every((header) => header === ""), "no token was sent to the squatter");
    assert.equal(
      await Deno.lstat(join(userGatewayDir(sandbox, name), "metadata.json"))
        .then(() => true, () => false),
      false,
    );
    assert.deepEqual(await leftovers(sandbox, name), []);
  },
});

Deno.test({
  name:
    "serve as root never takes a --state-dir that belongs to someone else; an empty root-owned one it does",
  ignore,
  async fn() {
    await using sandbox = await createServeSandbox();
    const name = uniqueGatewayName("owner");
    const listen = `127.0.0.1:${freePort()}`;
    const launch = (stateDir: string) =>
      startServe(sandbox, ["--name", name, "--listen", listen, "--state-dir", stateDir]);
    const run = async (stateDir: string) => {
      await using serve = launch(stateDir);
      return await exitWithin(serve, 30_000, stateDir);
    };
    const owned = (path: string) => Deno.stat(path).then((i) => [i.uid, i.gid, i.mode! & 0o7777]);

    const someones = join(sandbox.root, "someones");
    await Deno.mkdir(someones, { mode: 0o750 });
    await Deno.writeTextFile(join(someones, "notes.txt"), "mine\n");
    await Deno.chown(someones, 4242, 4343);
    const rootsFull = join(sandbox.root, "roots-full");
    await Deno.mkdir(rootsFull, { mode: 0o755 });
    await Deno.writeTextFile(join(rootsFull, "data"), "x\n");
    const someonesEmpty = join(sandbox.root, "someones-empty");
    await Deno.mkdir(someonesEmpty, { mode: 0o700 });
    await Deno.chown(someonesEmpty, 4242, 4242);
    for (
      const [dir, reason] of [
        [someones, "belongs to uid 4242"],
        [someonesEmpty, "belongs to uid 4242"],
        [rootsFull, "is not empty"],
      ] as const
    ) {
      const before = await owned(dir);
      const refused = await run(dir);
      assert.equal(refused.code, 1, refused.stderr);
      assert.match(
        refused.stderr,
        new RegExp(`^error: State dir "${dir}" ${reason} and was not created by openshell$`, "m"),
      );
      assert.match(refused.stderr, /^hint: as root the gateway runs as uid 65532 .*chown 65532/m);
      assert.deepEqual(await owned(dir), before, `${dir} keeps its owner and mode`);
      assert.deepEqual(await leftovers(sandbox, name), []);
    }
    assert.deepEqual(await owned(join(someones, "notes.txt")).then((o) => o.slice(0, 2)), [0, 0]);

    // An empty directory owned by root is handed to the container's root, and used.
    const empty = join(sandbox.root, "empty");
    await Deno.mkdir(empty, { mode: 0o755 });
    {
      await using serve = launch(empty);
      await serve.ready();
      assert.equal((await serve.stop()).code, 0);
    }
    assert.deepEqual((await owned(empty)).slice(0, 2), [65532, 65532]);
    assert.ok((await Array.fromAsync(Deno.readDir(empty))).length > 0, "the gateway wrote state");
  },
});
