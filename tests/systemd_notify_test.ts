/**
 * serve under a service manager (systemd's `Type=notify`): `READY=1` reaches `NOTIFY_SOCKET`
 * only once the gateway answers. The socket is a real unix datagram socket a subprocess
 * listens on.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { notifyAddress } from "../src/serve/systemd_notify.ts";
import {
  createServeSandbox,
  rootServeTestsIgnored,
  startServe,
  uniqueGatewayName,
} from "./_helpers/serve_fixture.ts";
import { freePort } from "./_helpers/loopback.ts";

Deno.test("notifyAddress: a path ends with NUL, an abstract name starts with one, else none", () => {
  const path = notifyAddress("/run/systemd/notify")!;
  assert.equal(path.length, 2 + "/run/systemd/notify".length + 1);
  assert.equal(new Uint16Array(path.buffer, 0, 1)[0], 1);
  assert.equal(new TextDecoder().decode(path.slice(2, -1)), "/run/systemd/notify");
  assert.equal(path.at(-1), 0);
  const abstract = notifyAddress("@sd")!;
  assert.deepEqual([...abstract.slice(2)], [0, 0x73, 0x64]);
  assert.ok(notifyAddress(`/${"a".repeat(106)}`));
  for (const bad of [undefined, "", "@", "relative", "x/y", `/${"a".repeat(107)}`, "/a\0b"]) {
    assert.equal(notifyAddress(bad), undefined, String(bad));
  }
});

const ignore = await rootServeTestsIgnored("the NOTIFY_SOCKET test");

Deno.test({
  name: "serve sends READY=1 to NOTIFY_SOCKET once its gateway answers, and not before",
  ignore,
  async fn() {
    await using sandbox = await createServeSandbox();
    const socket = join(sandbox.root, "notify.sock");
    // The receiver prints each datagram with whether the gateway answered when it came.
    const port = freePort();
    const receiver = new Deno.Command(Deno.execPath(), {
      args: [
        "eval",
        "--unstable-net",
        `const s = Deno.listenDatagram({ transport: "unixpacket", path: ${
          JSON.stringify(socket)
        } });
        console.error("listening");
        for (;;) {
          const [data] = await s.receive();
          const answered = await fetch("http://127.0.0.1:${port}/healthz")
            .then(async (r) => { await r.body?.cancel(); return r.status === 200; }, () => false);
          console.log(JSON.stringify({ message: new TextDecoder().decode(data), answered }));
          if (new TextDecoder().decode(data).includes("READY=1")) break;
        }`,
      ],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const lines = receiver.stderr.pipeThrough(new TextDecoderStream()).getReader();
    assert.match((await lines.read()).value ?? "", /listening/);
    await lines.cancel();
    const name = uniqueGatewayName("notify");
    await using serve = startServe(sandbox, ["--name", name, "--listen", `127.0.0.1:${port}`], {
      env: { NOTIFY_SOCKET: socket },
    });
    await serve.ready();
    const timer = setTimeout(() => receiver.kill("SIGKILL"), 30_000);
    const output = new TextDecoder().decode((await receiver.output()).stdout);
    clearTimeout(timer);
    const messages = output.trim().split("\n").map((line) => JSON.parse(line));
    assert.equal(messages.length, 1, output);
    assert.equal(messages[0].answered, true, "READY=1 came before the gateway answered");
    assert.equal(
      messages[0].message,
      `READY=1\nSTATUS=Gateway "${name}" is ready at http://127.0.0.1:${port}`,
    );
    assert.doesNotMatch(serve.stderr(), /could not be told/);
  },
});
