import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { join } from "node:path";
import { gatewayCommand, startGateway, withDir } from "./_helpers/gateway_process.ts";
import { readyLine } from "../src/contract/mod.ts";
import { MAX_REQUEST_BYTES } from "../src/server/_limits.ts";
import { freePort } from "./_helpers/loopback.ts";
import { launchProof, newChallenge } from "../src/contract/mod.ts";

Deno.test("the gateway serves healthz and info, counts starts and stops cleanly on SIGTERM and SIGINT", async () => {
  await withDir(async (dir) => {
    for (const [round, signal] of [[1, "SIGTERM"], [2, "SIGINT"]] as const) {
      const port = freePort();
      await using gateway = startGateway(dir, port);
      const listening = await gateway.waitFor("Listening");
      assert.equal(listening.port, port);
      assert.equal(listening.starts, round);
      const health = await fetch(`${gateway.url}/healthz`);
      assert.deepEqual(await health.json(), { ok: true });
      const denied = await fetch(`${gateway.url}/v1/info`);
      assert.equal(denied.status, 401);
      await denied.body?.cancel();
      const info = await fetch(`${gateway.url}/v1/info`, {
        headers: { authorization: "Bearer tok-123" },
      });
      const body = await info.json();
      assert.equal(body.name, "corp");
      assert.equal(body.version, "9.9.9");
      assert.equal(body.pid, gateway.child.pid);
      assert.equal(body.uid, Deno.uid());
      assert.equal(body.starts, round);
      gateway.child.kill(signal);
      const { code, lines } = await gateway.finish();
      assert.equal(code, 0);
      assert.deepEqual(lines.map((l) => l.msg), [
        "Listening",
        "Request",
        "Request",
        "Shutting down",
        "Stopped",
      ]);
      assert.equal(lines[3]!.signal, signal);
    }
  });
});

Deno.test("the gateway exits 1 when its port is taken", async () => {
  await withDir(async (dir) => {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    try {
      await using gateway = startGateway(dir, (listener.addr as Deno.NetAddr).port);
      const { code, lines } = await gateway.finish();
      assert.equal(code, 1);
      assert.equal(lines.at(-1)!.msg, "Cannot listen");
      assert.match(String(lines.at(-1)!.error), /in use/i);
    } finally {
      listener.close();
    }
  });
});

/**
 * Runs the gateway as the launcher does, with a ready challenge, and stops it once it has
 * written a whole line on stderr; resolves with what it wrote there, whether its port took a
 * connection at the moment that line was complete, and its exit status.
 */
async function readyReport(dir: string, port: number, challenge: string) {
  const listen = `127.0.0.1:${port}`;
  const child = gatewayCommand(dir, listen, { readyChallenge: challenge, stdout: "null" }).spawn();
  let stderr = "";
  let connectable: boolean | undefined;
  try {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
      stderr += chunk;
      if (stderr.endsWith("\n") && connectable === undefined) {
        connectable = await Deno.connect({ hostname: "127.0.0.1", port }).then(
          (conn) => (conn.close(), true),
          () => false,
        );
        child.kill("SIGTERM");
      }
    }
  } finally {
    try {
      child.kill("SIGKILL");
    } catch { /* already exited */ }
  }
  return { stderr, connectable, code: (await child.status).code };
}

Deno.test("given a ready challenge, the gateway writes its proof on stderr once it listens, and never when it cannot", async () => {
  await withDir(async (dir) => {
    const challenge = newChallenge();
    const ready = await readyReport(dir, freePort(), challenge);
    assert.equal(ready.stderr, readyLine(await launchProof("tok-123", challenge)));
    assert.equal(ready.connectable, true, "listening when it says so");
    assert.equal(ready.code, 0);
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    try {
      const taken = await readyReport(dir, (listener.addr as Deno.NetAddr).port, challenge);
      assert.equal(taken.stderr, "");
      assert.equal(taken.code, 1);
    } finally {
      listener.close();
    }
  });
});

Deno.test("the gateway exits 1 without its token and 2 on bad arguments", async () => {
  await withDir(async (dir) => {
    await Deno.remove(join(dir, "token"));
    await using missing = startGateway(dir, freePort());
    const first = await missing.finish();
    assert.equal(first.code, 1);
    assert.equal(first.lines.at(-1)!.msg, "Cannot start");
    assert.match(String(first.lines.at(-1)!.error), /token/);
    await using bad = startGateway(dir, freePort(), ["--bogus"]);
    const second = await bad.finish();
    assert.equal(second.code, 2);
    assert.match(String(second.lines.at(-1)!.error), /Unknown gateway option "--bogus"/);
  });
});

/** One HTTP/2 request from a real client: status, headers, body and trailers. */
async function http2Request(
  url: string,
  headers: Record<string, string>,
  body?: Uint8Array,
): Promise<
  { headers: Record<string, unknown>; body: Uint8Array; trailers: Record<string, unknown> }
> {
  const http2 = await import("node:http2");
  const session = http2.connect(url);
  try {
    return await new Promise((resolve, reject) => {
      session.on("error", reject);
      const stream = session.request(headers, { endStream: body === undefined });
      const chunks: Uint8Array[] = [];
      let responseHeaders: Record<string, unknown> = {};
      let trailers: Record<string, unknown> = {};
      stream.on("response", (h) => (responseHeaders = h));
      stream.on("trailers", (t) => (trailers = t));
      stream.on("data", (chunk: Uint8Array) => chunks.push(chunk));
      stream.on("end", () =>
        resolve({
          headers: responseHeaders,
          body: new Uint8Array(chunks.flatMap((c) => [...c])),
          trailers,
        }));
      stream.on("error", reject);
      if (body !== undefined) stream.end(body);
    });
  } finally {
    session.close();
  }
}

const GRPC_EMPTY_REQUEST = new Uint8Array([0, 0, 0, 0, 0]);

function grpcCall(url: string, method: string, token?: string) {
  return http2Request(url, {
    ":method": "POST",
    ":path": `/openshell.v1.OpenShell/${method}`,
    "content-type": "application/grpc",
    te: "trailers",
    ...(token ? { authorization: `Bearer ${token}` } : {}),
  }, GRPC_EMPTY_REQUEST);
}

Deno.test("one port answers HTTP/1.1, HTTP/2 and the gRPC methods Health and GetGatewayInfo", async () => {
  await withDir(async (dir) => {
    await using gateway = startGateway(dir, freePort());
    await gateway.waitFor("Listening");
    // HTTP/1.1 first: a plain request before and after HTTP/2 ones.
    assert.deepEqual(await (await fetch(`${gateway.url}/healthz`)).json(), { ok: true });

    const health = await grpcCall(gateway.url, "Health");
    assert.equal(health.headers[":status"], 200);
    assert.equal(health.headers["content-type"], "application/grpc");
    assert.equal(health.trailers["grpc-status"], "0");
    // length-prefixed HealthResponse { status: HEALTHY, version: "9.9.9" }
    assert.deepEqual([...health.body], [0, 0, 0, 0, 9, 8, 1, 0x12, 5, ...Buffer.from("9.9.9")]);

    const denied = await grpcCall(gateway.url, "GetGatewayInfo");
    assert.equal(denied.headers["grpc-status"], "16");
    assert.equal(
      decodeURIComponent(String(denied.headers["grpc-message"])),
      "Missing or invalid bearer token",
    );
    const wrong = await grpcCall(gateway.url, "GetGatewayInfo", "nope");
    assert.equal(wrong.headers["grpc-status"], "16");
    const info = await grpcCall(gateway.url, "GetGatewayInfo", "tok-123");
    assert.equal(info.trailers["grpc-status"], "0");
    assert.deepEqual([...info.body], [0, 0, 0, 0, 9, 8, 1, 0x12, 5, ...Buffer.from("9.9.9")]);
    const unknown = await grpcCall(gateway.url, "ListSandboxes", "tok-123");
    assert.equal(unknown.headers["grpc-status"], "12");

    // Plain HTTP/2 requests reach the same routes as HTTP/1.1.
    const h2Health = await http2Request(gateway.url, { ":method": "GET", ":path": "/healthz" });
    assert.equal(h2Health.headers[":status"], 200);
    assert.deepEqual(JSON.parse(new TextDecoder().decode(h2Health.body)), { ok: true });
    const h2Info = await http2Request(gateway.url, { ":method": "GET", ":path": "/v1/info" });
    assert.equal(h2Info.headers[":status"], 401);
    const h2Query = await http2Request(gateway.url, { ":method": "HEAD", ":path": "/healthz?x=1" });
    assert.equal(h2Query.headers[":status"], 200);
    assert.equal(h2Query.body.length, 0);
    const h2Big = await http2Request(
      gateway.url,
      { ":method": "POST", ":path": "/healthz" },
      new Uint8Array(MAX_REQUEST_BYTES + 1),
    );
    assert.equal(h2Big.headers[":status"], 413);
    assert.deepEqual(await (await fetch(`${gateway.url}/healthz`)).json(), { ok: true });

    gateway.child.kill("SIGTERM");
    const { code, lines } = await gateway.finish();
    assert.equal(code, 0);
    const requests = lines.filter((l) => l.msg === "Request");
    // Health checks are not logged; the authorized info call is; rejections start the count.
    assert.deepEqual(
      requests.map((l) => [l.protocol, l.path, l.grpc_status ?? l.status]),
      [
        ["h2", "/openshell.v1.OpenShell/GetGatewayInfo", 16],
        ["h2", "/openshell.v1.OpenShell/GetGatewayInfo", 0],
      ],
    );
    const summary = lines.find((l) => l.msg === "Rejections not logged one by one")!;
    assert.equal(summary.count, 4);
  });
});

Deno.test("HTTP/1.1 on the gateway: keep-alive, pipelining, HEAD, and refusals that close", async () => {
  await withDir(async (dir) => {
    await using gateway = startGateway(dir, freePort());
    const { port } = await gateway.waitFor("Listening") as { port: number };
    const exchange = async (request: string): Promise<string> => {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      await conn.write(new TextEncoder().encode(request));
      return await new Response(conn.readable).text(); // until the server closes
    };
    const two = await exchange(
      "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n" +
        "HEAD /v1/info HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer tok-123\r\nConnection: close\r\n\r\n",
    );
    assert.match(two, /^HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\n\{"ok":true\}\n/);
    const second = two.slice(two.indexOf("}\n") + 2);
    assert.match(second, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(second, /content-length: [1-9]\d*\r\n/);
    assert.ok(second.endsWith("\r\n\r\n"), "HEAD has no body");
    assert.match(await exchange("GET /healthz HTTP/1.0\r\n\r\n"), /^HTTP\/1\.0 200 OK\r\n/);
    assert.match(
      await exchange("POST /healthz HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
      /^HTTP\/1\.1 411 Length Required\r\n[^]*connection: close/,
    );
    assert.match(
      await exchange(`GET /healthz HTTP/1.1\r\nX: ${"a".repeat(20_000)}\r\n\r\n`),
      /^HTTP\/1\.1 431 /,
    );
    assert.match(
      await exchange("POST /healthz HTTP/1.1\r\nContent-Length: 999999\r\n\r\n"),
      /^HTTP\/1\.1 413 [^]*larger than 65536 bytes/,
    );
    assert.match(await exchange("BREW /pot HTTP/3.0\r\n\r\n"), /^HTTP\/1\.1 505 /);
  });
});

Deno.test("HTTP/1.1 on the gateway: a repeated request head gets the same answer, a changed one its own", async () => {
  await withDir(async (dir) => {
    await using gateway = startGateway(dir, freePort());
    const { port } = await gateway.waitFor("Listening") as { port: number };
    const pieces = [
      "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
      "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
      "HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
      "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
      "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Openshell-Challenge: 0123456789abcdef0123456789abcdef\r\n\r\n",
      "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
      "GET /v1/info HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer tok-123\r\n\r\n",
      "GET /v1/info HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer tok-124\r\n\r\n",
      "GET /v1/info HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer tok-123\r\n\r\n",
      // A head again in one piece with another after it, with itself, and in two pieces
      // (whose second half is not what followed it before).
      "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /v1/info HTTP/1.1\r\nHost: x\r\n\r\n",
      "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
      "GET /healthz HTTP/1.1\r\nHo",
      "st: x\r\nConnection: close\r\n\r\n",
    ];
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    const answer = new Response(conn.readable).text(); // until the server closes
    // One piece at a time, so each is read on its own, as a client polling does.
    for (const piece of pieces) {
      await conn.write(new TextEncoder().encode(piece));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const answers = (await answer).split(/(?=HTTP\/1\.1 )/);
    const summary = answers.map((text) => {
      const status = text.slice(9, 12);
      const body = text.slice(text.indexOf("\r\n\r\n") + 4);
      return `${status} ${body.startsWith("{") ? Object.keys(JSON.parse(body))[0] : "-"}`;
    });
    assert.deepEqual(summary, [
      "200 ok",
      "200 ok",
      "200 -",
      "200 ok",
      "200 ok",
      "200 ok",
      "200 name",
      "401 error",
      "200 name",
      "200 ok",
      "401 error",
      "200 ok",
      "200 ok",
      "200 ok",
    ]);
    assert.match(answers.at(-1)!, /connection: close\r\n/);
  });
});

Deno.test("HTTP/1.1 on the gateway: a read buffer handed on to the next connection carries nothing over", async () => {
  await withDir(async (dir) => {
    await using gateway = startGateway(dir, freePort());
    const { port } = await gateway.waitFor("Listening") as { port: number };
    const ask = async (...pieces: string[]): Promise<string> => {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      conn.setNoDelay(true);
      const answer = new Response(conn.readable).text(); // until the server closes
      for (const piece of pieces) {
        await conn.write(new TextEncoder().encode(piece));
        await new Promise((resolve) => setTimeout(resolve, 50)); // read on its own
      }
      return await answer;
    };
    const start = "GET /v1/info HTTP/1.1\r\nHost: x\r\n";
    const rest = (token: string) => `Authorization: Bearer ${token}\r\nConnection: close\r\n\r\n`;
    // The buffer the first client's request was read into, given back when it closed, is the
    // next connection's: what the first client sent after the second's first piece is there.
    assert.match(await ask(start + rest("tok-123")), /^HTTP\/1\.1 200 /);
    for (let i = 0; i < 3; i++) {
      assert.match(await ask(start, rest("tok-124")), /^HTTP\/1\.1 401 /);
      assert.match(await ask(start, rest("tok-123")), /^HTTP\/1\.1 200 /);
    }
  });
});

Deno.test("HTTP/1.1 on the gateway: requests dripped in small pieces are answered as when sent at once", async () => {
  await withDir(async (dir) => {
    await using gateway = startGateway(dir, freePort());
    const { port } = await gateway.waitFor("Listening") as { port: number };
    const body = "x".repeat(60_000);
    const requests = new TextEncoder().encode(
      `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: ${"p".repeat(15_000)}\r\n\r\n` +
        `POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n${body}` +
        "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    const exchange = async (piece: number): Promise<string> => {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      conn.setNoDelay(true);
      const answer = new Response(conn.readable).text(); // until the server closes
      for (let at = 0; at < requests.length; at += piece) {
        await conn.write(requests.subarray(at, at + piece));
        // Let the server read each piece on its own now and then.
        if ((at / piece) % 16 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
      }
      return await answer;
    };
    const whole = await exchange(requests.length);
    assert.equal(whole.match(/HTTP\/1\.1 /g)?.length, 3, whole);
    for (const piece of [1000, 7]) assert.equal(await exchange(piece), whole, `pieces of ${piece}`);
  });
});

/** Opens `count` connections to the gateway, every third one with half a request sent. */
async function flood(port: number, count: number): Promise<Deno.TcpConn[]> {
  const conns: Deno.TcpConn[] = [];
  for (let i = 0; i < count; i++) {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    if (i % 3 === 0) await conn.write(new TextEncoder().encode("GET /healthz HTTP/1.1\r\nHo"));
    conns.push(conn);
  }
  return conns;
}

const pendingReads = new WeakMap<Deno.TcpConn, Promise<boolean>>();

/** Resolves true when the server closes `conn` (end of stream or reset) within `ms`. */
async function closedWithin(conn: Deno.TcpConn, ms: number): Promise<boolean> {
  let read = pendingReads.get(conn);
  if (!read) {
    read = conn.read(new Uint8Array(64 * 1024)).then((n) => n === null, () => true);
    pendingReads.set(conn, read);
  }
  const timer = new Promise<false>((resolve) => setTimeout(() => resolve(false), ms));
  return await Promise.race([read, timer]);
}

async function healthy(url: string): Promise<boolean> {
  const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
  await response.body?.cancel();
  return response.status === 200;
}

for (
  const [title, openFiles, extra] of [
    ["under a 256-descriptor limit, with the cap that follows it", 256, []],
    // A cap set above the limit: accept fails with EMFILE, and the gateway rides it out.
    ["when accept runs out of descriptors (cap set above a 96 limit)", 96, [
      "--max-connections",
      "1000",
    ]],
  ] as const
) {
  Deno.test(`more connections than descriptors: the gateway stays up, ${title}`, async () => {
    await withDir(async (dir) => {
      await using gateway = startGateway(
        dir,
        freePort(),
        ["--idle-timeout-ms", "1500", ...extra],
        openFiles,
      );
      const { port } = await gateway.waitFor("Listening") as { port: number };
      const held = await flood(port, 400);
      // While 400 connections are held, a new request is still answered.
      assert.equal(await healthy(gateway.url), true);
      for (const conn of held) conn.close();
      assert.equal(await healthy(gateway.url), true);
      const health = await grpcCall(gateway.url, "Health");
      assert.equal(health.trailers["grpc-status"], "0");
      gateway.child.kill("SIGTERM");
      const { code, lines } = await gateway.finish();
      assert.equal(code, 0, "still running, and stopped cleanly");
      assert.equal(lines.filter((l) => l.msg === "Cannot listen").length, 0);
      assert.ok(
        lines.length < 20,
        `connection closes are counted, not logged one by one: ${lines.length}`,
      );
    });
  });
}

Deno.test("idle connections close after the idle timeout, half-sent requests after the request timeout", async () => {
  await withDir(async (dir) => {
    await using gateway = startGateway(dir, freePort(), [
      "--idle-timeout-ms",
      "1000",
      "--request-timeout-ms",
      "2000",
    ]);
    const { port } = await gateway.waitFor("Listening") as { port: number };
    const conns = await flood(port, 6); // 0 and 3 with half a request sent
    const opened = performance.now();
    const halfSent = [conns[0]!, conns[3]!];
    const idle = conns.filter((conn) => !halfSent.includes(conn));
    assert.equal(await closedWithin(idle[0]!, 500), false, "not before the idle timeout");
    for (const conn of idle) {
      assert.equal(await closedWithin(conn, 2000 - (performance.now() - opened)), true);
    }
    assert.ok(performance.now() - opened >= 900);
    assert.equal(await closedWithin(halfSent[0]!, 1600 - (performance.now() - opened)), false);
    for (const conn of halfSent) {
      assert.equal(await closedWithin(conn, 3500 - (performance.now() - opened)), true);
    }
    assert.ok(performance.now() - opened >= 1900);
    for (const conn of conns) conn.close();
    gateway.child.kill("SIGTERM");
    const { lines } = await gateway.finish();
    const closed = lines.filter((l) => l.msg === "Connection closed");
    assert.deepEqual(closed.map((l) => l.reason), ["idle timeout"]);
    const counted = lines.find((l) => l.msg === "Rejections not logged one by one")!;
    assert.equal(counted.reasons, "idle timeout: 3, request timeout: 2");
  });
});

Deno.test("wrong-token requests are logged as one count per interval", async () => {
  await withDir(async (dir) => {
    await using gateway = startGateway(dir, freePort(), ["--rejection-log-interval-ms", "200"]);
    await gateway.waitFor("Listening");
    const total = 3000;
    const started = performance.now();
    for (let sent = 0; sent < total; sent += 50) {
      await Promise.all(Array.from({ length: 50 }, async () => {
        const response = await fetch(`${gateway.url}/v1/info`, {
          headers: { authorization: "Bearer wrong" },
        });
        assert.equal(response.status, 401);
        await response.body?.cancel();
      }));
    }
    const elapsed = performance.now() - started;
    gateway.child.kill("SIGTERM");
    const { code, lines } = await gateway.finish();
    assert.equal(code, 0);
    const full = lines.filter((l) => l.msg === "Request");
    const summaries = lines.filter((l) => l.msg === "Rejections not logged one by one");
    assert.ok(full.every((l) => l.status === 401 && l.path === "/v1/info"));
    assert.equal(full.length + summaries.reduce((sum, l) => sum + Number(l.count), 0), total);
    const intervals = Math.ceil(elapsed / 200) + 1;
    assert.ok(full.length <= intervals, `${full.length} full lines in ${intervals} intervals`);
    assert.ok(summaries.length <= intervals);
    assert.ok(summaries.every((l) => /^401: \d+$/.test(String(l.reasons))));
  });
});

Deno.test({
  name: "NVIDIA OpenShell's CLI reports the gateway connected, and its info with the token",
  ignore: !Deno.env.get("OPENSHELL_UPSTREAM_CLI"),
  fn: async () => {
    await withDir(async (dir) => {
      await using gateway = startGateway(dir, freePort());
      const { port } = await gateway.waitFor("Listening") as { port: number };
      const config = join(dir, "home", ".config");
      // Upstream sends a bearer token only for an OIDC registration: one holding ours.
      const entry = join(config, "openshell", "gateways", "served");
      await Deno.mkdir(entry, { recursive: true, mode: 0o700 });
      await Deno.writeTextFile(
        join(entry, "metadata.json"),
        JSON.stringify({
          name: "served",
          gateway_endpoint: gateway.url,
          is_remote: false,
          gateway_port: port,
          auth_mode: "oidc",
          oidc_issuer: "http://127.0.0.1:9",
        }),
      );
      await Deno.writeTextFile(
        join(entry, "oidc_token.json"),
        JSON.stringify({ access_token: "tok-123", issuer: "http://127.0.0.1:9", client_id: "c" }),
        { mode: 0o600 },
      );
      const upstream = async (args: string[], env: Record<string, string> = {}) => {
        const output = await new Deno.Command(Deno.env.get("OPENSHELL_UPSTREAM_CLI")!, {
          args,
          env: {
            HOME: join(dir, "home"),
            XDG_CONFIG_HOME: config,
            NO_COLOR: "1",
            PATH: "/usr/bin:/bin",
            ...env,
          },
          clearEnv: true,
          stdout: "piped",
          stderr: "piped",
        }).output();
        const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
        return { code: output.code, stdout: text(output.stdout), stderr: text(output.stderr) };
      };
      // By endpoint alone, with no registration (which upstream would match by endpoint).
      const unregistered = { OPENSHELL_GATEWAY_ENDPOINT: gateway.url, XDG_CONFIG_HOME: dir };
      const plain = await upstream(["status", "-o", "json"], unregistered);
      const status = JSON.parse(plain.stdout);
      assert.equal(status.status, "connected", plain.stdout + plain.stderr);
      assert.equal(status.version, "9.9.9");
      const denied = await upstream(["gateway", "info"], unregistered);
      assert.notEqual(denied.code, 0);
      assert.match(denied.stderr, /Missing or invalid bearer token/);
      const info = await upstream(["-g", "served", "gateway", "info", "-o", "json"]);
      assert.equal(info.code, 0, info.stderr);
      const parsed = JSON.parse(info.stdout);
      assert.equal(parsed.status, "healthy");
      assert.equal(parsed.version, "9.9.9");
      const withToken = JSON.parse(
        (await upstream(["-g", "served", "status", "-o", "json"])).stdout,
      );
      assert.equal(withToken.status, "connected");
    });
  },
});
