/**
 * The gateway server under abuse and load, through a real gateway process and real sockets:
 * the attacker side is `tests/_helpers/gateway_attacks.py` (raw sockets and raw HTTP/2 frames,
 * python3's standard library), and while it runs a fresh client must get `/healthz` answered
 * within 1 s.
 */
import assert from "node:assert/strict";
import {
  memoryMiB,
  openDescriptors,
  probeHealth,
  type RunningGateway,
  startGateway,
  underAttack,
  withDir,
  writeGatewayTls,
} from "./_helpers/gateway_process.ts";
import { freePort } from "./_helpers/loopback.ts";
import { FLOOD_MEMORY_BOUND_MIB, LISTEN_BACKLOG } from "../src/server/_limits.ts";

const encoder = new TextEncoder();

/** Every probe was answered 200 within `withinMs` (1 s), and there were some. */
function allAnswered(times: number[], what: string, withinMs = 1000): void {
  assert.ok(times.length >= 3, `${what}: ${times.length} probes`);
  const late = times.filter((ms) => !(ms < withinMs));
  assert.equal(late.length, 0, `${what}: ${late.length} of ${times.length} probes unanswered`);
}

/** Reads from `conn` until `done` says the text so far is complete, or the peer closes. */
async function readUntil(conn: Deno.Conn, done: (text: string) => boolean): Promise<string> {
  const decoder = new TextDecoder();
  const buffer = new Uint8Array(16 * 1024);
  let text = "";
  while (!done(text)) {
    const count = await conn.read(buffer);
    if (count === null) break;
    text += decoder.decode(buffer.subarray(0, count), { stream: true });
  }
  return text;
}

Deno.test("busy connections lock nobody out: bodies never sent, 100-continue, HTTP/2 streams held open", async () => {
  await withDir(async (dir) => {
    // The cap the gateway used to have, with every connection busy.
    await using gateway = startGateway(dir, freePort(), ["--max-connections", "128"]);
    const { port } = await gateway.waitFor("Listening") as { port: number };
    const http1 = await underAttack(
      port,
      "busy-http1",
      4,
      128,
      () => probeHealth(gateway.url, 3500),
    );
    allAnswered(http1.during, "128 requests awaiting their body");
    assert.ok(Number(http1.attack.continued) > 0, "a client that expects 100-continue gets it");
    const http2 = await underAttack(
      port,
      "busy-http2",
      4,
      128,
      () => probeHealth(gateway.url, 3500),
    );
    allAnswered(http2.during, "128 HTTP/2 connections with a stream held open");
    assert.ok(Number(http2.attack.requests) > 0);
  });
});

Deno.test("connections reset before they are accepted never stall the listener", async () => {
  await withDir(async (dir) => {
    await using gateway = startGateway(dir, freePort());
    const { port } = await gateway.waitFor("Listening") as { port: number };
    const { attack, during } = await underAttack(
      port,
      "reset",
      3,
      undefined,
      () => probeHealth(gateway.url, 2500, 100),
    );
    allAnswered(during, "connect-then-reset flood");
    assert.ok(attack.connections > 100, `${attack.connections} resets in 3 s`);
  });
});

Deno.test("resets queued while the gateway cannot run leave room for a fresh client", async () => {
  await withDir(async (dir) => {
    await using gateway = startGateway(dir, freePort());
    const { port } = await gateway.waitFor("Listening") as { port: number };
    // Twice as many as Deno's own queue (511) holds, a quarter of what the gateway's holds.
    const burst = LISTEN_BACKLOG / 4;
    // Stopped, the gateway accepts nothing, as on a loaded machine that keeps it from the CPU.
    Deno.kill(gateway.child.pid, "SIGSTOP");
    let queued: number;
    let probe: Promise<number[]>;
    try {
      ({ attack: { connections: queued } } = await underAttack(
        port,
        "reset-burst",
        0,
        burst,
        () => Promise.resolve(),
      ));
      probe = probeHealth(gateway.url, 1, 0);
      await new Promise((resolve) => setTimeout(resolve, 100));
    } finally {
      Deno.kill(gateway.child.pid, "SIGCONT");
    }
    const [answeredMs] = await probe;
    assert.ok(answeredMs! < 1000, `/healthz answered in ${answeredMs} ms, ${queued} queued`);
    assert.equal(queued, burst, "every connection of the burst was queued");
  });
});

/**
 * Runs every HTTP/2 control-frame flood against a gateway (over mTLS with `tls`): each ends in
 * GOAWAY (ENHANCE_YOUR_CALM), `/healthz` answers a fresh client within 1 s throughout, and the
 * gateway's memory stays under the bound.
 */
async function floodBattery(
  gateway: RunningGateway,
  port: number,
  tls?: { dir: string; client: Deno.CreateHttpClientOptions },
): Promise<void> {
  const url = tls ? `https://127.0.0.1:${port}` : gateway.url;
  for (
    const kind of ["ping", "settings", "rst", "continuation", "window-update", "empty-data"]
  ) {
    const { attack, during } = await underAttack(
      port,
      kind,
      1.5,
      4,
      () => probeHealth(url, 1500, 200, tls?.client),
      tls?.dir,
    );
    allAnswered(during, `${kind} flood`);
    assert.equal(attack.goaway, 11, `${kind}: GOAWAY with ENHANCE_YOUR_CALM`);
    const { peak } = await memoryMiB(gateway.child.pid);
    assert.ok(peak < FLOOD_MEMORY_BOUND_MIB, `${kind}: peak ${peak.toFixed(1)} MiB`);
  }
  gateway.child.kill("SIGTERM");
  const { code, lines } = await gateway.finish();
  assert.equal(code, 0, "it survived every flood");
  const floods = lines.filter((l) => l.reason === "http2 flood");
  assert.ok(floods.length > 0);
}

Deno.test("HTTP/2 control-frame floods end in GOAWAY, with memory bounded and healthz answered", async () => {
  await withDir(async (dir) => {
    await using gateway = startGateway(dir, freePort());
    const { port } = await gateway.waitFor("Listening") as { port: number };
    await floodBattery(gateway, port);
  });
});

Deno.test("over mTLS an HTTP/2 client that never reads its answers is held back, and every flood ends in GOAWAY, with memory bounded", async () => {
  await withDir(async (dir) => {
    const { tls, client, clientDir } = await writeGatewayTls(dir);
    await using gateway = startGateway(dir, freePort(), [], undefined, tls);
    const { port } = await gateway.waitFor("Listening") as { port: number };
    // Requests with 4 KiB answers, a body and control frames of every flood's kind, none of the
    // answers read; paced for 1 s, then as fast as it can.
    const { attack, during } = await underAttack(
      port,
      "unread",
      3,
      1,
      () => probeHealth(`https://127.0.0.1:${port}`, 3000, 200, client),
      clientDir,
    );
    allAnswered(during, "a client that never reads its answers");
    const { peak } = await memoryMiB(gateway.child.pid);
    assert.ok(peak < FLOOD_MEMORY_BOUND_MIB, `peak ${peak.toFixed(1)} MiB`);
    // Held back as in plaintext: what it sent beyond its answers waits in the kernel's buffers.
    const sent = Number(attack.bytes) / 2 ** 20;
    assert.ok(sent < 16, `it could send ${sent.toFixed(1)} MiB`);
    await floodBattery(gateway, port, { dir: clientDir, client });
  });
});

Deno.test("HTTP/2 connections the client closes are let go at once", async () => {
  await withDir(async (dir) => {
    await using gateway = startGateway(dir, freePort());
    const { port } = await gateway.waitFor("Listening") as { port: number };
    const pid = gateway.child.pid;
    const before = await openDescriptors(pid);
    const { attack } = await underAttack(port, "h2-close", 5, 100, async () => {});
    assert.equal(attack.answered, 100);
    const closed = performance.now();
    let open = await openDescriptors(pid);
    while (open > before + 5 && performance.now() - closed < 1000) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      open = await openDescriptors(pid);
    }
    assert.ok(open <= before + 5, `${open} descriptors open 1 s after, ${before} before`);
  });
});

Deno.test("1000 connections at once are all answered: the cap follows the descriptor limit", async () => {
  await withDir(async (dir) => {
    await using gateway = startGateway(dir, freePort(), [], 4096);
    const { port, max_connections } = await gateway.waitFor("Listening") as {
      port: number;
      max_connections: number;
    };
    assert.ok(max_connections >= 4000, `cap ${max_connections} under a 4096 limit`);
    const conns = await Promise.all(
      Array.from({ length: 1000 }, () => Deno.connect({ hostname: "127.0.0.1", port })),
    );
    try {
      const request = encoder.encode("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
      await Promise.all(conns.map((conn) => conn.write(request)));
      const answers = await Promise.all(
        conns.map((conn) => readUntil(conn, (text) => text.includes("\n{")).catch(() => "")),
      );
      const ok = answers.filter((text) => text.startsWith("HTTP/1.1 200 OK")).length;
      assert.equal(ok, 1000);
    } finally {
      for (const conn of conns) conn.close();
    }
  });
});

Deno.test("a repeated Content-Length is framed and answered by it; slowloris evicts no real request", async () => {
  await withDir(async (dir) => {
    await using gateway = startGateway(dir, freePort(), ["--max-connections", "128"]);
    const { port } = await gateway.waitFor("Listening") as { port: number };
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await conn.write(encoder.encode(
      "POST /healthz HTTP/1.1\r\nContent-Length: 5, 5\r\n\r\nhello" +
        "GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n",
    ));
    const both = await readUntil(conn, () => false);
    conn.close();
    assert.match(
      both,
      /^HTTP\/1\.1 405 Method Not Allowed\r\n/,
      "routed, not refused as too large",
    );
    assert.match(both.slice(both.indexOf("}\n") + 2), /^HTTP\/1\.1 200 OK\r\n/);

    // 500 connections dripping request heads against a cap of 128: every real request passes.
    const { during } = await underAttack(port, "slowloris", 4, 500, async () => {
      await new Promise((resolve) => setTimeout(resolve, 500));
      const statuses: number[] = [];
      for (let i = 0; i < 45; i++) {
        // Each on a connection of its own: an idle pooled one may be closed at the cap.
        const client = Deno.createHttpClient({ poolMaxIdlePerHost: 0 });
        const response = await fetch(`${gateway.url}/healthz`, {
          client,
          signal: AbortSignal.timeout(2000),
        }).catch(() => undefined);
        await response?.body?.cancel();
        client.close();
        statuses.push(response?.status ?? 0);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return statuses;
    });
    assert.deepEqual(during.filter((status) => status !== 200), [], `${during}`);
  });
});

/** The error code of the last frame of `type` (GOAWAY 7, RST_STREAM 3) an HTTP/2 server sent. */
function errorCode(bytes: Uint8Array, type: 3 | 7): number | undefined {
  let code: number | undefined;
  const offset = type === 7 ? 13 : 9; // GOAWAY carries the last stream id first
  for (let at = 0; at + 9 <= bytes.length;) {
    const length = (bytes[at]! << 16) | (bytes[at + 1]! << 8) | bytes[at + 2]!;
    if (bytes[at + 3] === type && at + offset + 4 <= bytes.length) {
      code = new DataView(bytes.buffer, bytes.byteOffset + at + offset, 4).getUint32(0);
    }
    at += 9 + length;
  }
  return code;
}

const PREFACE_AND_SETTINGS = new Uint8Array([
  ...encoder.encode("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"),
  ...[0, 0, 0, 4, 0, 0, 0, 0, 0],
]);

Deno.test("HTTP/2 clients that close with requests in flight never bring the gateway down", async () => {
  await withDir(async (dir) => {
    await using gateway = startGateway(dir, freePort());
    await gateway.waitFor("Listening");
    const http2 = await import("node:http2");
    let answered = 0;
    // Each round: 50 requests at a time on one session for 1 s, then the client goes (GOAWAY).
    for (let round = 0; round < 2; round++) {
      const session = http2.connect(gateway.url);
      session.on("error", () => {});
      const end = performance.now() + 1000;
      await Promise.all(Array.from({ length: 50 }, async () => {
        while (performance.now() < end) {
          await new Promise<void>((resolve) => {
            const stream = session.request({ ":path": "/healthz" });
            stream.on("error", () => resolve());
            stream.on("end", () => (answered++, resolve()));
            stream.resume();
          });
        }
      }));
      session.destroy();
    }
    assert.ok(answered > 0);
    const health = await fetch(`${gateway.url}/healthz`, { signal: AbortSignal.timeout(5000) });
    assert.equal(health.status, 200, "still answering after the clients left");
    await health.body?.cancel();
    gateway.child.kill("SIGTERM");
    assert.equal((await gateway.finish()).code, 0, "still running, and stopped cleanly");
  });
});

Deno.test("an HTTP/2 stream whose request does not arrive in time is reset", async () => {
  await withDir(async (dir) => {
    const args = ["--request-timeout-ms", "1000", "--idle-timeout-ms", "60000"];
    await using gateway = startGateway(dir, freePort(), args);
    const { port } = await gateway.waitFor("Listening") as { port: number };
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    // POST / with :authority x, END_HEADERS and no END_STREAM: a body that never comes.
    const headers = [0, 0, 6, 1, 4, 0, 0, 0, 1, 0x83, 0x86, 0x84, 0x01, 0x01, 0x78];
    await conn.write(new Uint8Array([...PREFACE_AND_SETTINGS, ...headers]));
    const started = performance.now();
    const giveUp = setTimeout(() => conn.close(), 4000);
    let received = new Uint8Array(0);
    const buffer = new Uint8Array(4096);
    try {
      while (errorCode(received, 3) === undefined) {
        const count = await conn.read(buffer);
        if (count === null) break;
        received = new Uint8Array([...received, ...buffer.subarray(0, count)]);
      }
      conn.close();
    } catch { /* closed after 4 s */ }
    clearTimeout(giveUp);
    assert.equal(errorCode(received, 3), 8, "RST_STREAM with CANCEL");
    assert.ok(performance.now() - started >= 900, "not before the request timeout");
  });
});

Deno.test("over mTLS the same bounds hold: stalled handshakes give way and time out, floods end in GOAWAY", async () => {
  await withDir(async (dir) => {
    const { tls, client } = await writeGatewayTls(dir);
    const args = ["--max-connections", "64", "--idle-timeout-ms", "1500"];
    await using gateway = startGateway(dir, freePort(), args, undefined, tls);
    const { port } = await gateway.waitFor("Listening") as { port: number };

    // The cap filled with connections that never start their TLS handshake.
    const stalled = await Promise.all(
      Array.from({ length: 64 }, () => Deno.connect({ hostname: "127.0.0.1", port })),
    );
    const opened = performance.now();
    const times = await probeHealth(`https://127.0.0.1:${port}`, 1000, 200, client);
    // Within 2 s: a TLS handshake of its own (in `node:tls`) comes on top of each answer.
    allAnswered(times, "64 stalled TLS handshakes at a cap of 64", 2000);
    const ends = await Promise.all(stalled.map(async (conn) => {
      try {
        await conn.read(new Uint8Array(64));
      } catch { /* reset: closed too */ }
      conn.close();
      return performance.now() - opened;
    }));
    assert.ok(
      Math.max(...ends) < 6000,
      `the last stalled handshake closed after ${Math.max(...ends)} ms`,
    );

    // A PING flood inside the TLS session.
    const conn = await Deno.connectTls({
      hostname: "127.0.0.1",
      port,
      ...client,
      alpnProtocols: ["h2"],
    });
    const ping = [0, 0, 8, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    const flood = new Uint8Array([
      ...PREFACE_AND_SETTINGS,
      ...Array.from({ length: 300 }, () => ping).flat(),
    ]);
    await conn.write(flood);
    const received = await new Response(conn.readable).bytes();
    assert.equal(errorCode(received, 7), 11, "GOAWAY with ENHANCE_YOUR_CALM over TLS");
  });
});

for (
  const [title, openFiles, extra] of [
    ["under a 256-descriptor limit, with the cap that follows it", 256, []],
    ["with a cap asked above a 96-descriptor limit", 96, ["--max-connections", "1000"]],
  ] as const
) {
  Deno.test(`over mTLS more connections than descriptors leave the gateway answering, ${title}`, async () => {
    await withDir(async (dir) => {
      const { tls, client } = await writeGatewayTls(dir);
      const args = ["--idle-timeout-ms", "1500", ...extra];
      await using gateway = startGateway(dir, freePort(), args, openFiles, tls);
      const { port } = await gateway.waitFor("Listening") as { port: number };
      const url = `https://127.0.0.1:${port}`;
      // Connections that never start their handshake, more than the descriptors allow.
      const held: Deno.TcpConn[] = [];
      for (let i = 0; i < 150; i++) held.push(await Deno.connect({ hostname: "127.0.0.1", port }));
      // Within 2 s: past a burst as long as the accept queue, a client's SYN can wait 1 s.
      allAnswered(await probeHealth(url, 2500, 200, client), "150 connections held", 2000);
      for (const conn of held) conn.close();
      allAnswered(await probeHealth(url, 600, 200, client), "after they closed", 2000);
      gateway.child.kill("SIGTERM");
      assert.equal((await gateway.finish()).code, 0, "still running, and stopped cleanly");
    });
  });
}
