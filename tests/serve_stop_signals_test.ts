/**
 * The stop signals of a real `serve` started the way scripts start it: with SIGINT ignored
 * (a background job of a script) a SIGINT sent while the launch is still preparing stops it
 * all the same; with SIGHUP ignored (`nohup`) a hangup leaves the gateway serving.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { freePort } from "./_helpers/loopback.ts";
import {
  assertNothingLeft,
  createServeSandbox,
  getJson,
  rootServeTestsIgnored,
  startServe,
  uniqueGatewayName,
} from "./_helpers/serve_fixture.ts";

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
    const outcome = await serve.stop("SIGTERM");
    assert.equal(outcome.code, 0, outcome.stderr);
    assert.match(outcome.stderr, new RegExp(`Gateway "${name}" stopped`));
    await assertNothingLeft(sandbox, name);
  },
});
