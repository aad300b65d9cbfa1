import assert from "node:assert/strict";
import { checkHealth, HealthPoller, healthzUrl } from "../src/cli/term/health_check.ts";
import type { GatewayStatus } from "../src/cli/term/term_state.ts";

/** A real HTTP server on a free loopback port; `handler` answers every request. */
function serve(handler: (request: Request) => Response | Promise<Response>) {
  const requests: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    requests.push(new URL(request.url).pathname);
    return handler(request);
  });
  return {
    endpoint: `http://127.0.0.1:${server.addr.port}`,
    requests,
    async [Symbol.asyncDispose]() {
      await server.shutdown();
    },
  };
}

/** A loopback port with nothing listening on it. */
function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return port;
}

Deno.test("healthzUrl appends /healthz to the endpoint, without doubling slashes", () => {
  assert.equal(healthzUrl("http://127.0.0.1:8080"), "http://127.0.0.1:8080/healthz");
  assert.equal(healthzUrl("http://127.0.0.1:8080/"), "http://127.0.0.1:8080/healthz");
  assert.equal(healthzUrl("https://gw.example/base//"), "https://gw.example/base/healthz");
});

Deno.test("a gateway answering 200 on /healthz is healthy", async () => {
  await using server = serve((request) =>
    new URL(request.url).pathname === "/healthz"
      ? new Response("ok")
      : new Response("no", { status: 404 })
  );
  assert.equal(await checkHealth(server.endpoint), "healthy");
  assert.equal(await checkHealth(`${server.endpoint}/`), "healthy");
  assert.deepEqual(server.requests, ["/healthz", "/healthz"]);
});

Deno.test("a gateway answering an error status is unhealthy", async () => {
  await using server = serve(() => new Response("down", { status: 503 }));
  assert.equal(await checkHealth(server.endpoint), "unhealthy");
});

Deno.test("nothing listening, a bad URL or a silent server is unreachable, within the timeout", async () => {
  assert.equal(await checkHealth(`http://127.0.0.1:${closedPort()}`), "unreachable");
  assert.equal(await checkHealth("not a url"), "unreachable");
  const { promise: never, resolve: release } = Promise.withResolvers<void>();
  await using server = serve(async () => {
    await never;
    return new Response("late");
  });
  const started = performance.now();
  assert.equal(await checkHealth(server.endpoint, { timeoutMs: 200 }), "unreachable");
  const elapsed = performance.now() - started;
  release();
  assert.ok(elapsed < 1500, `took ${elapsed} ms`);
});

Deno.test("the poller returns at once and reports each endpoint's answer later", async () => {
  const { promise: gate, resolve: open } = Promise.withResolvers<void>();
  await using healthy = serve(async () => {
    await gate;
    return new Response("ok");
  });
  const dead = `http://127.0.0.1:${closedPort()}`;
  const results: Array<[string, GatewayStatus]> = [];
  const poller = new HealthPoller((endpoint, status) => results.push([endpoint, status]));
  poller.poll([healthy.endpoint, dead]);
  assert.deepEqual(results, [], "poll must not wait for answers");
  open();
  await poller.idle();
  poller.dispose();
  assert.deepEqual(
    results.sort(),
    [[dead, "unreachable"], [healthy.endpoint, "healthy"]].sort(),
  );
});

Deno.test("the poller does not ask an endpoint again while a check is under way", async () => {
  const { promise: gate, resolve: open } = Promise.withResolvers<void>();
  await using server = serve(async () => {
    await gate;
    return new Response("ok");
  });
  const results: GatewayStatus[] = [];
  const poller = new HealthPoller((_, status) => results.push(status));
  poller.poll([server.endpoint, server.endpoint]);
  poller.poll([server.endpoint]);
  await new Promise((resolve) => setTimeout(resolve, 100));
  open();
  await poller.idle();
  assert.equal(server.requests.length, 1);
  assert.deepEqual(results, ["healthy"]);
  poller.poll([server.endpoint]);
  await poller.idle();
  poller.dispose();
  assert.equal(server.requests.length, 2);
});

Deno.test("after dispose the poller reports nothing more", async () => {
  await using server = serve(() => new Response("ok"));
  const results: GatewayStatus[] = [];
  const poller = new HealthPoller((_, status) => results.push(status));
  poller.poll([server.endpoint]);
  poller.dispose();
  await poller.idle();
  poller.poll([server.endpoint]);
  await poller.idle();
  assert.deepEqual(results, []);
});
