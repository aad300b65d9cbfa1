import assert from "node:assert/strict";
import { healthzUrl } from "../src/client/gateway_health.ts";
import { checkHealth, HealthPoller } from "../src/client/health_check.ts";
import { makeCertificates, serveHttps } from "./_helpers/certificates.ts";
import type { GatewayStatus } from "../src/term/term_state.ts";
import { join } from "node:path";
import { freePort, serveLoopback } from "./_helpers/loopback.ts";
import { createSandbox } from "./_helpers/sandbox.ts";

Deno.test("healthzUrl appends /healthz to the endpoint, without doubling slashes", () => {
  assert.equal(healthzUrl("http://127.0.0.1:8080"), "http://127.0.0.1:8080/healthz");
  assert.equal(healthzUrl("http://127.0.0.1:8080/"), "http://127.0.0.1:8080/healthz");
  assert.equal(healthzUrl("https://gw.example/base//"), "https://gw.example/base/healthz");
});

Deno.test("a gateway answering 200 on /healthz is healthy", async () => {
  await using server = serveLoopback((request) =>
    new URL(request.url).pathname === "/healthz"
      ? new Response("ok")
      : new Response("no", { status: 404 })
  );
  assert.equal(await checkHealth(server.endpoint), "healthy");
  assert.equal(await checkHealth(`${server.endpoint}/`), "healthy");
  assert.deepEqual(server.requests, ["/healthz", "/healthz"]);
});

Deno.test("a gateway answering an error status is unhealthy", async () => {
  await using server = serveLoopback(() => new Response("down", { status: 503 }));
  assert.equal(await checkHealth(server.endpoint), "unhealthy");
});

Deno.test("nothing listening, a bad URL or a silent server is unreachable, within the timeout", async () => {
  assert.equal(await checkHealth(`http://127.0.0.1:${freePort()}`), "unreachable");
  assert.equal(await checkHealth("not a url"), "unreachable");
  const { promise: never, resolve: release } = Promise.withResolvers<void>();
  await using server = serveLoopback(async () => {
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
  await using healthy = serveLoopback(async () => {
    await gate;
    return new Response("ok");
  });
  const dead = `http://127.0.0.1:${freePort()}`;
  const results: Array<[string, GatewayStatus]> = [];
  const poller = new HealthPoller((endpoint, status) => results.push([endpoint, status]));
  poller.poll([{ endpoint: healthy.endpoint }, { endpoint: dead }]);
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
  await using server = serveLoopback(async () => {
    await gate;
    return new Response("ok");
  });
  const results: GatewayStatus[] = [];
  const poller = new HealthPoller((_, status) => results.push(status));
  poller.poll([{ endpoint: server.endpoint }, { endpoint: server.endpoint }]);
  poller.poll([{ endpoint: server.endpoint }]);
  await new Promise((resolve) => setTimeout(resolve, 100));
  open();
  await poller.idle();
  assert.equal(server.requests.length, 1);
  assert.deepEqual(results, ["healthy"]);
  poller.poll([{ endpoint: server.endpoint }]);
  await poller.idle();
  poller.dispose();
  assert.equal(server.requests.length, 2);
});

Deno.test("after dispose the poller reports nothing more", async () => {
  await using server = serveLoopback(() => new Response("ok"));
  const results: GatewayStatus[] = [];
  const poller = new HealthPoller((_, status) => results.push(status));
  poller.poll([{ endpoint: server.endpoint }]);
  poller.dispose();
  await poller.idle();
  poller.poll([{ endpoint: server.endpoint }]);
  await poller.idle();
  assert.deepEqual(results, []);
});

Deno.test("an HTTPS gateway signed by its own CA is healthy only with that CA", async () => {
  await using sandbox = await createSandbox();
  const certs = await makeCertificates(sandbox.root);
  const server = await serveHttps(certs);
  try {
    const endpoint = `https://127.0.0.1:${server.addr.port}`;
    const missing = join(sandbox.root, "missing");
    assert.equal(await checkHealth(endpoint), "unreachable", "an unknown CA is not trusted");
    assert.equal(
      await checkHealth(endpoint, { tls: { ca: missing, cert: missing, key: missing } }),
      "unreachable",
      "no stored material: the default trust store",
    );
    assert.equal(
      await checkHealth(endpoint, { tls: { ca: certs.ca, cert: missing, key: missing } }),
      "healthy",
    );
    assert.equal(
      await checkHealth(endpoint, { tls: { ca: certs.ca, ...certs.client } }),
      "healthy",
      "with a client certificate",
    );
    const results: GatewayStatus[] = [];
    const poller = new HealthPoller((_, status) => results.push(status));
    poller.poll([{ endpoint, tls: { ca: certs.ca, ...certs.client } }]);
    await poller.idle();
    poller.dispose();
    assert.deepEqual(results, ["healthy"]);
  } finally {
    await server.shutdown();
  }
});
