import assert from "node:assert/strict";
import { classifyStatus, describeFetchError, healthzUrl } from "../src/cli/gateway_health.ts";
import { serveLoopback } from "./_helpers/loopback.ts";
import { createSandbox, runCli, type Sandbox } from "./_helpers/sandbox.ts";
import { sandboxRoots, writeActive, writeEntry } from "./registry_fixture.ts";

async function registerActive(sandbox: Sandbox, endpoint: string): Promise<void> {
  const result = await runCli(sandbox, ["gateway", "add", endpoint, "--name", "local"]);
  assert.equal(result.code, 0, result.stderr);
}

Deno.test("status with no gateway: not_configured, exit 0", async () => {
  await using sandbox = await createSandbox();
  const json = await runCli(sandbox, ["status", "-o", "json"]);
  assert.equal(json.code, 0);
  assert.deepEqual(JSON.parse(json.stdout), { status: "not_configured" });
  assert.equal(json.stderr, "");
  const text = await runCli(sandbox, ["status"]);
  assert.equal(text.code, 0);
  assert.equal(text.stdout, "No gateway configured.\n");
  assert.match(text.stderr, /^hint: /);
});

Deno.test("status reports a gateway that answers /healthz", async () => {
  await using sandbox = await createSandbox();
  const { server, requests, endpoint } = serveLoopback(() => new Response("ok"));
  try {
    await registerActive(sandbox, endpoint);
    const json = await runCli(sandbox, ["status", "-o", "json"]);
    assert.equal(json.code, 0, json.stderr);
    const report = JSON.parse(json.stdout);
    assert.equal(report.status, "ok");
    assert.equal(report.gateway, "local");
    assert.equal(report.source, "user");
    assert.equal(report.active_reason, "user");
    assert.equal(report.endpoint, endpoint);
    assert.equal(report.http_status, 200);
    assert.equal(report.error, null);
    const text = await runCli(sandbox, ["status"]);
    assert.equal(text.code, 0);
    assert.match(text.stdout, /^gateway: {2}local\n/);
    assert.match(text.stdout, /health: {3}ok \(HTTP 200 in \d+ ms\)/);
    assert.deepEqual(requests, ["/healthz", "/healthz"]);
  } finally {
    await server.shutdown();
  }
});

Deno.test("status of a system gateway picked by the system active file", async () => {
  await using sandbox = await createSandbox();
  const { server, endpoint } = serveLoopback(() => new Response("ok"));
  try {
    const roots = sandboxRoots(sandbox);
    await writeEntry(roots.system, "sys", {
      name: "sys",
      gateway_endpoint: endpoint,
      is_remote: false,
      gateway_port: 0,
    });
    await writeActive(roots.system, "sys");
    const json = await runCli(sandbox, ["status", "-o", "json"]);
    assert.equal(json.code, 0, json.stderr);
    const report = JSON.parse(json.stdout);
    assert.deepEqual([report.gateway, report.source, report.active_reason], [
      "sys",
      "system",
      "system",
    ]);
  } finally {
    await server.shutdown();
  }
});

Deno.test("status of an unhealthy, an unreachable and a slow gateway: exit 1", async () => {
  await using sandbox = await createSandbox();
  const unhealthy = serveLoopback(() => new Response("down", { status: 503 }));
  let release: () => void = () => {};
  const slow = serveLoopback(() =>
    new Promise((resolve) => (release = () => resolve(new Response("late"))))
  );
  try {
    await registerActive(sandbox, unhealthy.endpoint);
    let result = await runCli(sandbox, ["status", "-o", "json"]);
    assert.equal(result.code, 1);
    assert.equal(JSON.parse(result.stdout).status, "unhealthy");
    assert.equal(JSON.parse(result.stdout).http_status, 503);
    assert.match(result.stderr, /^error: Gateway 'local' at .* is unhealthy: HTTP 503\n/);

    await unhealthy.server.shutdown();
    result = await runCli(sandbox, ["status", "-o", "json"]);
    assert.equal(result.code, 1);
    assert.equal(JSON.parse(result.stdout).status, "unreachable");
    assert.equal(JSON.parse(result.stdout).error, "connection refused");

    result = await runCli(sandbox, ["-g", "slow", "status", "--timeout", "300"], {});
    assert.equal(result.code, 1); // not registered
    assert.match(result.stderr, /Gateway 'slow' not found/);
    assert.equal(
      (await runCli(sandbox, ["gateway", "add", slow.endpoint, "--name", "slow"])).code,
      0,
    );
    result = await runCli(sandbox, ["status", "-o", "json", "--timeout", "300"]);
    assert.equal(result.code, 1);
    assert.equal(JSON.parse(result.stdout).error, "no answer within 300 ms");
  } finally {
    release();
    await slow.server.shutdown();
  }
});

Deno.test("status of a registration whose endpoint is not a URL: exit 1, said so", async () => {
  await using sandbox = await createSandbox();
  const roots = sandboxRoots(sandbox);
  for (const [name, endpoint] of [["bad", "not a url"], ["ftp", "ftp://h.example"]]) {
    await writeEntry(roots.system, name!, {
      name,
      gateway_endpoint: endpoint,
      is_remote: false,
      gateway_port: 0,
    });
    const result = await runCli(sandbox, ["-g", name!, "status", "-o", "json"]);
    assert.equal(result.code, 1);
    assert.equal(JSON.parse(result.stdout).status, "unreachable");
    assert.match(
      result.stderr,
      new RegExp(`^error: Gateway '${name}' at ${endpoint} is unreachable: the endpoint is not`),
    );
  }
});

Deno.test("health decisions: URL, status classes and error wording", () => {
  assert.equal(healthzUrl("http://h:1"), "http://h:1/healthz");
  assert.equal(healthzUrl("http://h:1/"), "http://h:1/healthz");
  assert.equal(classifyStatus(200).status, "ok");
  assert.equal(classifyStatus(204).status, "ok");
  assert.deepEqual(classifyStatus(301), {
    status: "unhealthy",
    httpStatus: 301,
    error: "HTTP 301",
  });
  assert.equal(classifyStatus(500).status, "unhealthy");
  assert.equal(
    describeFetchError(new DOMException("x", "TimeoutError"), 50),
    "no answer within 50 ms",
  );
  const cause = new Error(
    "error sending request: tcp connect error: Connection refused (os error 111)",
  );
  assert.equal(
    describeFetchError(new TypeError("fetch failed", { cause }), 1),
    "connection refused",
  );
});
