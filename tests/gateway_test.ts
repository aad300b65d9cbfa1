import assert from "node:assert/strict";
import { constantTimeEqual } from "../src/server/_constant_time_equal.ts";
import { createGatewayHandler } from "../src/server/_gateway_handler.ts";
import { formatLogLine } from "../src/server/_gateway_log.ts";
import { GATEWAY_DEFAULTS, parseGatewayOptions } from "../src/server/_gateway_options.ts";
import { parseListenAddress } from "../src/contract/mod.ts";
import { incrementStartCounter, START_COUNTER_FILE } from "../src/server/_start_counter.ts";
import { createReadBuffers, READ_BUFFER_BYTES } from "../src/server/_read_buffers.ts";

const identity = { name: "corp", version: "1.2.3", pid: 7, uid: 0, starts: 3 };
let clock = 10_000;
const handler = createGatewayHandler({
  identity,
  token: "s3cret-token",
  startedAt: 4_000,
  now: () => clock,
});
/** Asks the handler as both protocol readers do: method, path and header fields. */
const request = async (
  path: string,
  init: { method?: string; headers?: Record<string, string> } = {},
  asked = handler,
) => {
  const headers = new Headers(init.headers);
  const answer = await asked({
    method: init.method ?? "GET",
    path,
    header: (name) => headers.get(name),
  });
  return { status: answer.status, headers: new Headers(answer.headers), body: answer.body };
};

Deno.test("healthz answers 200 without a token", async () => {
  const response = await request("/healthz");
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("content-type"), "application/json");
  assert.deepEqual(JSON.parse(response.body), { ok: true });
});

Deno.test("info with the right bearer token reports identity and uptime", async () => {
  clock = 10_500;
  const response = await request("/v1/info", { headers: { authorization: "Bearer s3cret-token" } });
  assert.equal(response.status, 200);
  assert.deepEqual(JSON.parse(response.body), {
    name: "corp",
    version: "1.2.3",
    uptime_seconds: 6.5,
    pid: 7,
    uid: 0,
    starts: 3,
  });
});

Deno.test("info without, with a wrong or a malformed token is 401 with a challenge", async () => {
  for (
    const authorization of [
      undefined,
      "Bearer s3cret-toke",
      "Bearer s3cret-token2",
      "Bearer S3CRET-TOKEN",
      "Basic s3cret-token",
      "s3cret-token",
      "Bearer ",
    ]
  ) {
    const headers: Record<string, string> = authorization ? { authorization } : {};
    const response = await request("/v1/info", { headers });
    assert.equal(response.status, 401, `authorization ${authorization}`);
    assert.equal(response.headers.get("www-authenticate"), 'Bearer realm="openshell"');
    assert.match(JSON.parse(response.body).error, /bearer token/);
  }
});

Deno.test("an empty configured token never authorizes", async () => {
  const open = createGatewayHandler({ identity, token: "", startedAt: 0 });
  const response = await request("/v1/info", { headers: { authorization: "Bearer " } }, open);
  assert.equal(response.status, 401);
});

Deno.test("unknown paths are 404, including near misses", async () => {
  for (const path of ["/", "/healthz/", "/v1", "/v1/info/x", "/HEALTHZ", "/v2/info"]) {
    const response = await request(path);
    assert.equal(response.status, 404, path);
    assert.equal(JSON.parse(response.body).error, `Not found: "${path}"`);
  }
});

Deno.test("other methods are 405 with an Allow header, before any auth check", async () => {
  for (const method of ["POST", "PUT", "DELETE", "PATCH"]) {
    for (const path of ["/healthz", "/v1/info"]) {
      const response = await request(path, { method });
      assert.equal(response.status, 405, `${method} ${path}`);
      assert.equal(response.headers.get("allow"), "GET, HEAD");
    }
  }
  const head = await request("/healthz", { method: "HEAD" });
  assert.equal(head.status, 200);
});

Deno.test("constantTimeEqual compares whole strings", () => {
  assert.equal(constantTimeEqual("", ""), true);
  assert.equal(constantTimeEqual("abc", "abc"), true);
  assert.equal(constantTimeEqual("abc", "abd"), false);
  assert.equal(constantTimeEqual("abc", "ab"), false);
  assert.equal(constantTimeEqual("ab", "abc"), false);
  assert.equal(constantTimeEqual("abc\0", "abc"), false);
  assert.equal(constantTimeEqual("é", "e"), false);
});

Deno.test("gateway options: defaults, both flag forms, and every error", () => {
  assert.deepEqual(parseGatewayOptions([]), GATEWAY_DEFAULTS);
  assert.deepEqual(
    parseGatewayOptions([
      "--name",
      "corp",
      "--listen=[::1]:9000",
      "--state-dir",
      "/s",
      "--token-file=/t",
      "--version",
      "2.0.0",
    ]),
    {
      ...GATEWAY_DEFAULTS,
      name: "corp",
      hostname: "::1",
      port: 9000,
      stateDir: "/s",
      tokenFile: "/t",
      version: "2.0.0",
    },
  );
  assert.throws(() => parseGatewayOptions(["--nope", "x"]), /Unknown gateway option "--nope"/);
  assert.throws(() => parseGatewayOptions(["--name"]), /Missing value for gateway option "--name"/);
  assert.throws(() => parseGatewayOptions(["--name="]), /Missing value/);
  assert.throws(() => parseGatewayOptions(["--listen", "8090"]), /Invalid listen address "8090"/);
  const challenge = "0f".repeat(32);
  assert.equal(parseGatewayOptions(["--ready-challenge", challenge]).readyChallenge, challenge);
  for (const bad of ["0f".repeat(15), "0F".repeat(32), `${challenge} `, "x".repeat(64)]) {
    assert.throws(
      () => parseGatewayOptions([`--ready-challenge=${bad}`]),
      /Invalid value .* for gateway option "--ready-challenge": expected 32 to 128 hex digits/,
      bad,
    );
  }
});

Deno.test("listen addresses: hosts, IPv6 brackets, port range", () => {
  assert.deepEqual(parseListenAddress("127.0.0.1:1"), { hostname: "127.0.0.1", port: 1 });
  assert.deepEqual(parseListenAddress("localhost:65535"), { hostname: "localhost", port: 65535 });
  assert.deepEqual(parseListenAddress("[::]:80"), { hostname: "::", port: 80 });
  for (
    const bad of ["", ":80", "host", "host:", "host:0", "host:65536", "::1:80", "h:8a", "h :80"]
  ) {
    assert.throws(() => parseListenAddress(bad), RangeError, bad);
  }
});

Deno.test("log lines are single JSON objects with time, level and msg first", () => {
  const line = formatLogLine(new Date(0), "warn", "Hello", { port: 1, skip: undefined, x: null });
  assert.equal(
    line,
    '{"time":"1970-01-01T00:00:00.000Z","level":"warn","msg":"Hello","port":1,"x":null}\n',
  );
});

Deno.test("the start counter counts from 1, survives restarts and resets a corrupt file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    assert.equal(await incrementStartCounter(dir), 1);
    assert.equal(await incrementStartCounter(dir), 2);
    const file = `${dir}/${START_COUNTER_FILE}`;
    assert.equal((await Deno.stat(file)).mode! & 0o777, 0o600);
    for (const corrupt of ["{", '{"starts":-1}', '{"starts":"2"}', "null"]) {
      await Deno.writeTextFile(file, corrupt);
      const reasons: string[] = [];
      assert.equal(await incrementStartCounter(dir, (r) => reasons.push(r)), 1, corrupt);
      assert.equal(reasons.length, 1, corrupt);
      assert.match(reasons[0]!, new RegExp(START_COUNTER_FILE));
    }
    assert.deepEqual(
      (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name),
      [START_COUNTER_FILE],
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the start counter fails on an unwritable state dir", async () => {
  await assert.rejects(incrementStartCounter("/proc/self/nonexistent-state"));
});

Deno.test("read buffers: disjoint slices of shared slabs, each given back taken again", () => {
  const buffers = createReadBuffers();
  const taken = Array.from({ length: 200 }, () => buffers.take());
  assert.ok(taken.every((buffer) => buffer.length === READ_BUFFER_BYTES));
  // No byte is in two buffers at once: writing each buffer whole leaves every other intact.
  taken.forEach((buffer, i) => buffer.fill(i % 251));
  taken.forEach((buffer, i) => assert.ok(buffer.every((byte) => byte === i % 251), `buffer ${i}`));
  // Packed side by side: far fewer backing stores than buffers.
  const slabs = new Set(taken.map((buffer) => buffer.buffer));
  assert.ok(slabs.size > 1 && slabs.size <= Math.ceil(taken.length / 16), `${slabs.size} slabs`);
  buffers.give(taken[7]!);
  buffers.give(taken[3]!);
  assert.equal(buffers.take(), taken[3]);
  assert.equal(buffers.take(), taken[7]);
  assert.ok(!taken.includes(buffers.take()), "a new buffer once none is free");
});

Deno.test("healthz gives every client the same answer, whatever it sends", async () => {
  const plain = await request("/healthz");
  for (const challenge of ["0123456789abcdef".repeat(4), "", "xyz", "a".repeat(129)]) {
    const asked = await request("/healthz", { headers: { "x-openshell-challenge": challenge } });
    assert.equal(asked.status, 200);
    assert.deepEqual([...asked.headers], [...plain.headers], challenge);
    assert.equal(asked.body, plain.body);
  }
});
