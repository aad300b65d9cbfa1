import assert from "node:assert/strict";
import { healthzUrl } from "../src/client/gateway_health.ts";
import { checkHealth, HealthPoller } from "../src/client/health_check.ts";
import { makeCertificates, serveHttps } from "./_helpers/certificates.ts";
import type { HealthVerdict } from "../src/client/mod.ts";
import { join } from "node:path";
import { freePort, serveLoopback } from "./_helpers/loopback.ts";
import { createSandbox } from "./_helpers/sandbox.ts";
import { serveGrpcGateway } from "./_helpers/grpc_gateway.ts";

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
  assert.equal((await checkHealth({ endpoint: server.endpoint })).verdict, "healthy");
  assert.equal((await checkHealth({ endpoint: `${server.endpoint}/` })).verdict, "healthy");
  // gRPC Health first (a 404 here), then /healthz, as upstream's status asks.
  assert.deepEqual(server.requests, [
    "/openshell.v1.OpenShell/Health",
    "/healthz",
    "/openshell.v1.OpenShell/Health",
    "/healthz",
  ]);
});

Deno.test("a gateway answering an error status is unhealthy", async () => {
  await using server = serveLoopback(() => new Response("down", { status: 503 }));
  assert.equal((await checkHealth({ endpoint: server.endpoint })).verdict, "unhealthy");
});

Deno.test("nothing listening, a bad URL or a silent server is unreachable, within the timeout", async () => {
  assert.equal(
    (await checkHealth({ endpoint: `http://127.0.0.1:${freePort()}` })).verdict,
    "unreachable",
  );
  assert.equal((await checkHealth({ endpoint: "not a url" })).verdict, "unreachable");
  const { promise: never, resolve: release } = Promise.withResolvers<void>();
  await using server = serveLoopback(async () => {
    await never;
    return new Response("late");
  });
  const started = performance.now();
  assert.equal(
    (await checkHealth({ endpoint: server.endpoint }, { timeoutMs: 200 })).verdict,
    "unreachable",
  );
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
  const results: Array<[string, HealthVerdict]> = [];
  const poller = new HealthPoller((key, health) => results.push([key, health.verdict]));
  poller.poll([{ key: "ok", endpoint: healthy.endpoint }, { key: "dead", endpoint: dead }]);
  assert.deepEqual(results, [], "poll must not wait for answers");
  open();
  await poller.idle();
  poller.dispose();
  assert.deepEqual(
    results.sort(),
    [["dead", "unreachable"], ["ok", "healthy"]].sort(),
  );
});

Deno.test("the poller does not ask a registration again while its check is under way", async () => {
  const { promise: gate, resolve: open } = Promise.withResolvers<void>();
  await using server = serveLoopback(async () => {
    await gate;
    return new Response("ok");
  });
  const results: HealthVerdict[] = [];
  const poller = new HealthPoller((_, health) => results.push(health.verdict));
  const target = { key: "user/a", endpoint: server.endpoint };
  poller.poll([target, target]);
  poller.poll([target]);
  await new Promise((resolve) => setTimeout(resolve, 100));
  open();
  await poller.idle();
  // One check: gRPC Health (not a gRPC answer here), then /healthz.
  assert.equal(server.requests.length, 2);
  assert.deepEqual(results, ["healthy"]);
  poller.poll([target]);
  await poller.idle();
  poller.dispose();
  assert.equal(server.requests.length, 4);
});

Deno.test("after dispose the poller reports nothing more", async () => {
  await using server = serveLoopback(() => new Response("ok"));
  const results: HealthVerdict[] = [];
  const poller = new HealthPoller((_, health) => results.push(health.verdict));
  poller.poll([{ key: "user/a", endpoint: server.endpoint }]);
  poller.dispose();
  await poller.idle();
  poller.poll([{ key: "user/a", endpoint: server.endpoint }]);
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
    assert.equal(
      (await checkHealth({ endpoint: endpoint })).verdict,
      "unreachable",
      "an unknown CA is not trusted",
    );
    assert.equal(
      (await checkHealth({ endpoint, tls: { ca: missing, cert: missing, key: missing } })).verdict,
      "unreachable",
      "no stored material: the default trust store",
    );
    assert.equal(
      (await checkHealth({ endpoint, tls: { ca: certs.ca, cert: missing, key: missing } })).verdict,
      "healthy",
    );
    assert.equal(
      (await checkHealth({ endpoint, tls: { ca: certs.ca, ...certs.client } })).verdict,
      "healthy",
      "with a client certificate",
    );
    const results: HealthVerdict[] = [];
    const poller = new HealthPoller((_, health) => results.push(health.verdict));
    poller.poll([{ key: "user/a", endpoint, tls: { ca: certs.ca, ...certs.client } }]);
    await poller.idle();
    poller.dispose();
    assert.deepEqual(results, ["healthy"]);
  } finally {
    await server.shutdown();
  }
});

Deno.test("registrations sharing an endpoint get one result each, with version and authentication", async () => {
  await using sandbox = await createSandbox();
  const certs = await makeCertificates(sandbox.root);
  await using gateway = await serveGrpcGateway({ tls: certs, version: "0.0.112-dev" });
  const results = new Map<string, unknown>();
  const poller = new HealthPoller((key, health) => results.set(key, health));
  poller.poll([
    { key: "user/with-cert", endpoint: gateway.endpoint, tls: { ca: certs.ca, ...certs.client } },
    {
      key: "user/no-cert",
      endpoint: gateway.endpoint,
      tls: { ca: certs.ca, cert: "/nope", key: "/nope" },
    },
  ]);
  await poller.idle();
  poller.dispose();
  assert.deepEqual(results.get("user/with-cert"), {
    verdict: "healthy",
    version: "0.0.112-dev",
    auth: "authenticated",
  });
  assert.deepEqual(results.get("user/no-cert"), {
    verdict: "unreachable",
    version: null,
    auth: null,
  });
});
