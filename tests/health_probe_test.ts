import assert from "node:assert/strict";
import { isOkStatusLine, probeHealth } from "../src/runtime/health_probe.ts";

Deno.test("only an HTTP/1.x 200 status line is healthy", () => {
  assert.equal(isOkStatusLine("HTTP/1.1 200 OK\r\n"), true);
  assert.equal(isOkStatusLine("HTTP/1.0 200 \r\n"), true);
  for (const line of ["HTTP/1.1 503 Service Unavailable\r\n", "HTTP/1.1 2000 x", "", "200 OK"]) {
    assert.equal(isOkStatusLine(line), false, line);
  }
});

Deno.test("the health probe asks a real server and tells 200 from the rest", async () => {
  let status = 503;
  const paths: string[] = [];
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (request) => {
      paths.push(new URL(request.url).pathname);
      return new Response("ok\n", { status });
    },
  );
  const address = { hostname: "127.0.0.1", port: server.addr.port };
  assert.equal(await probeHealth(address, "/healthz"), false);
  status = 200;
  assert.equal(await probeHealth(address, "/healthz"), true);
  assert.deepEqual(paths, ["/healthz", "/healthz"]);

  // Nothing listening: refused at once.
  const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = closed.addr.port;
  closed.close();
  assert.equal(await probeHealth({ hostname: "127.0.0.1", port }, "/healthz"), false);
});

Deno.test("the health probe gives up on a listener that never answers", async () => {
  const silent = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const connection of silent) held.push(connection);
  })();
  const started = performance.now();
  assert.equal(
    await probeHealth({ hostname: "127.0.0.1", port: silent.addr.port }, "/", 200),
    false,
  );
  assert.ok(performance.now() - started < 2000);
  for (const connection of held) connection.close();
  silent.close();
  await accepting.catch(() => {});
});
