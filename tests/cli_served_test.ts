/**
 * A served gateway as its user meets it, through the real program and real youki: `serve
 * --detach` prints where it is (and what a foreground serve would warn about), `gateway list`
 * marks it, `rename` and `remove` refuse while it runs and say how to stop it, and serving it
 * again never moves its registration. Every printed command is run as the user pastes it.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { freePort } from "./_helpers/loopback.ts";
import { hintCommands, printedCommand, runPrinted } from "./_helpers/printed_command.ts";
import { type CliResult, runCli, type Sandbox } from "./_helpers/sandbox.ts";
import { createServeSandbox, uniqueGatewayName } from "./_helpers/serve_fixture.ts";
import { onPath, runCommand } from "./_helpers/run_command.ts";
import { sharedCliArgv } from "./_helpers/shared_checkout.ts";
import { asUser, TEST_USER, userIds } from "./_helpers/test_users.ts";

const user = await userIds(TEST_USER);
const missing = Deno.uid() !== 0
  ? "they run youki as root and switch to the test user"
  : !(await onPath("youki"))
  ? "youki is not installed"
  : undefined;
if (missing) console.error(`served gateway CLI tests skipped: ${missing}`);

type Run = (args: string[]) => Promise<CliResult>;

/** Stops `name` through the program when a failed test left it served. */
function stopGuard(run: Run, name: string): AsyncDisposable {
  return { [Symbol.asyncDispose]: async () => void (await run(["gateway", "stop", name])) };
}

function metadataOf(sandbox: Sandbox, name: string): Promise<string> {
  return Deno.readTextFile(join(sandbox.config, "openshell/gateways", name, "metadata.json"));
}

/** The gateway's row of `gateway list` as a table line and as JSON. */
async function listed(run: Run, name: string) {
  const table = await run(["gateway", "list"]);
  assert.equal(table.code, 0, table.stderr);
  const json = await run(["gateway", "list", "-o", "json"]);
  const row = (JSON.parse(json.stdout) as { name: string; served: boolean; type: string }[])
    .find((r) => r.name === name)!;
  return { line: table.stdout.split("\n").find((l) => l.includes(name))!, row };
}

Deno.test({
  name: "serve --detach as root: endpoint on stdout, warnings first, listed as served; " +
    "rename and remove refuse with the stop command; serving again keeps the endpoint",
  ignore: missing !== undefined,
  async fn() {
    await using sandbox = await createServeSandbox();
    const run: Run = (args) => runCli(sandbox, args);
    const paste = { env: sandbox.env, cwd: sandbox.root };
    const name = `ux ${uniqueGatewayName("s")}`;
    const port = freePort();
    await using _guard = stopGuard(run, name);

    const served = await run([
      "serve",
      "--detach",
      "--name",
      name,
      "--listen",
      `0.0.0.0:${port}`,
      "--auth",
      "token",
      "-o",
      "json",
    ]);
    assert.equal(served.code, 0, served.stderr);
    const launched = JSON.parse(served.stdout);
    assert.deepEqual(Object.keys(launched), ["name", "url", "pid", "container", "log"]);
    assert.equal(launched.name, name);
    assert.equal(launched.url, `http://0.0.0.0:${port}`, "where it listens");
    assert.match(launched.container, /^openshell-ux-s-[0-9a-f]{6}-[0-9a-f]{8}$/);
    // What a foreground serve warns about comes before the ready line.
    const warned = served.stderr.search(
      /^warning: --listen 0\.0\.0\.0:\d+ serves the gateway on every interface, in plaintext/m,
    );
    assert.ok(warned >= 0, served.stderr);
    assert.ok(warned < served.stderr.indexOf("is ready at"), served.stderr);
    const stop = printedCommand(served.stderr, "openshell gateway stop");
    assert.equal(stop, `openshell gateway stop '${name}'`);

    const { line, row } = await listed(run, name);
    assert.match(line, /\bserved\b/);
    assert.equal(row.served, true);
    assert.equal(row.type, "local", "JSON keeps upstream's type");

    const registered = await metadataOf(sandbox, name);
    // As upstream writes its own local gateway: the port it runs on (`gateway add` writes 0).
    assert.equal(JSON.parse(registered).gateway_port, port);
    for (const args of [["gateway", "rename", name, "other"], ["gateway", "remove", name]]) {
      const refused = await run(args);
      assert.equal(refused.code, 1, args.join(" "));
      assert.match(
        refused.stderr,
        new RegExp(
          `^error: Gateway '${name}' is being served here \\(launcher pid ${launched.pid}\\)`,
          "m",
        ),
      );
      assert.deepEqual(hintCommands(refused.stderr), [stop]);
    }
    assert.equal(await metadataOf(sandbox, name), registered, "nothing changed");
    const stopped = await runPrinted(stop, paste);
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.match(stopped.stderr, /stopped$/m);
    assert.equal((await listed(run, name)).row.served, false);

    // Serving it elsewhere would move the registration: refused, with a way to keep or replace it.
    const moved = await run(["serve", "--name", name, "--listen", `127.0.0.1:${freePort()}`]);
    assert.equal(moved.code, 1);
    assert.match(
      moved.stderr,
      new RegExp(
        `^error: Gateway "${name}" is registered at http://127\\.0\\.0\\.1:${port}; serving it on 127\\.0\\.0\\.1:\\d+ would change its registration$`,
        "m",
      ),
    );
    assert.deepEqual(hintCommands(moved.stderr), [
      `openshell serve --name '${name}'`,
      `openshell gateway remove '${name}'`,
    ]);
    assert.equal(await metadataOf(sandbox, name), registered);

    // `gateway stop` of the stopped gateway is done; its hint serves it again where it is
    // registered.
    const notServed = await run(["gateway", "stop", name]);
    assert.equal(notServed.code, 0);
    assert.match(notServed.stderr, new RegExp(`^Gateway "${name}" is already stopped$`, "m"));
    const [again] = hintCommands(notServed.stderr);
    assert.equal(again, `openshell serve --name '${name}' --detach`);
    const reserved = await runPrinted(again!, paste);
    assert.equal(reserved.code, 0, reserved.stderr);
    assert.equal(reserved.stdout, `http://127.0.0.1:${port}\n`, "-o text prints the URL");
    assert.equal(await metadataOf(sandbox, name), registered, "the endpoint is kept");
    assert.equal((await runPrinted(stop, paste)).code, 0);

    const renamed = await run(["gateway", "rename", name, "other"]);
    assert.equal(renamed.code, 0, renamed.stderr);
  },
});

Deno.test({
  name: "serve --detach as the ordinary test user: listed as served, remove refuses until stopped",
  ignore: missing !== undefined || !user || !(await onPath("runc")),
  async fn() {
    await using sandbox = await createServeSandbox(user!);
    const run: Run = (args) =>
      runCommand(asUser(TEST_USER, sharedCliArgv(args)), { env: sandbox.env, cwd: sandbox.root });
    const name = uniqueGatewayName("us");
    await using _guard = stopGuard(run, name);
    const served = await run([
      "serve",
      "--detach",
      "--name",
      name,
      "--listen",
      `127.0.0.1:${freePort()}`,
      "--runtime",
      "runc",
      "-o",
      "yaml",
    ]);
    assert.equal(served.code, 0, served.stderr);
    assert.match(
      served.stdout,
      new RegExp(`^name: ${name}\nurl: https://127\\.0\\.0\\.1:\\d+\npid: \\d+\n`),
    );
    assert.equal((await listed(run, name)).row.served, true);
    const refused = await run(["gateway", "remove", name]);
    assert.equal(refused.code, 1);
    const [stop] = hintCommands(refused.stderr);
    assert.equal(stop, `openshell gateway stop ${name}`);
    const stopped = await runPrinted(stop!, {
      env: sandbox.env,
      cwd: sandbox.root,
      user: TEST_USER,
    });
    assert.equal(stopped.code, 0, stopped.stderr);
    const removed = await run(["gateway", "remove", name]);
    assert.equal(removed.code, 0, removed.stderr);
  },
});
