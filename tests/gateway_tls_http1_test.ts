/**
 * HTTP/1.1 over mTLS, which the gateway answers from each TLS session's bytes as they arrive:
 * the same answers however the requests are cut into pieces, and the same limits and deadlines
 * as in plaintext. The real gateway process and Deno's TLS client with a client certificate.
 */
import assert from "node:assert/strict";
import { memoryMiB, startGateway, withDir, writeGatewayTls } from "./_helpers/gateway_process.ts";
import { freePort } from "./_helpers/loopback.ts";
import { MAX_HEAD_BYTES } from "../src/server/_limits.ts";

const encoder = new TextEncoder();

type Client = Awaited<ReturnType<typeof writeGatewayTls>>["client"];

/** An mTLS connection to the gateway speaking HTTP/1.1, its handshake done. */
async function connect(port: number, client: Client): Promise<Deno.TlsConn> {
  const conn = await Deno.connectTls({
    hostname: "127.0.0.1",
    port,
    ...client,
    alpnProtocols: ["http/1.1"],
  });
  await conn.handshake();
  return conn;
}

/** Everything the gateway sends on `conn` until it closes it. */
async function untilClosed(conn: Deno.TlsConn): Promise<string> {
  const decoder = new TextDecoder();
  const buffer = new Uint8Array(16 * 1024);
  let text = "";
  try {
    for (let count; (count = await conn.read(buffer)) !== null;) {
      text += decoder.decode(buffer.subarray(0, count), { stream: true });
    }
  } catch {
    // reset after the last answer: what was read is the answer
  }
  conn.close();
  return text;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

Deno.test("HTTP/1.1 over mTLS: pipelined requests cut at every byte get the answers sent whole get", async () => {
  await withDir(async (dir) => {
    const { tls, client } = await writeGatewayTls(dir);
    await using gateway = startGateway(dir, freePort(), [], undefined, tls);
    const { port } = await gateway.waitFor("Listening") as { port: number };
    const requests = encoder.encode(
      "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n" +
        "POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello" +
        "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n" +
        "GET /nowhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    /** The answers to `requests`, sent in the pieces that start at `cuts`. */
    const exchange = async (cuts: number[]): Promise<string> => {
      const conn = await connect(port, client);
      const answers = untilClosed(conn);
      const ends = [...cuts, requests.length];
      for (let i = 0; i < ends.length - 1; i++) {
        await conn.write(requests.subarray(ends[i], ends[i + 1]));
        // Each piece read on its own: a TLS record of its own, after a pause.
        if (i < ends.length - 2) await pause(5);
      }
      return await answers;
    };
    const whole = await exchange([0]);
    assert.deepEqual(
      whole.split(/(?=HTTP\/1\.1 )/).map((answer) => answer.slice(9, 12)),
      ["200", "405", "200", "404"],
      whole,
    );
    assert.match(whole, /connection: close\r\n/);
    // Cut once at every byte boundary, a few connections at a time.
    const boundaries = Array.from({ length: requests.length - 1 }, (_, i) => i + 1);
    for (let at = 0; at < boundaries.length; at += 8) {
      const answers = await Promise.all(
        boundaries.slice(at, at + 8).map((cut) => exchange([0, cut])),
      );
      answers.forEach((answer, i) => assert.equal(answer, whole, `cut at ${boundaries[at + i]}`));
    }
    // And a byte at a time.
    assert.equal(await exchange(boundaries.length > 0 ? [0, ...boundaries] : [0]), whole);
  });
});

Deno.test("HTTP/1.1 over mTLS: a head over the limit is refused with 431 and closed, whole or in pieces", async () => {
  await withDir(async (dir) => {
    const { tls, client } = await writeGatewayTls(dir);
    await using gateway = startGateway(dir, freePort(), [], undefined, tls);
    const { port } = await gateway.waitFor("Listening") as { port: number };
    const head = encoder.encode(
      `GET /healthz HTTP/1.1\r\nX: ${"a".repeat(MAX_HEAD_BYTES)}\r\n\r\n`,
    );
    for (const piece of [head.length, 1000]) {
      const conn = await connect(port, client);
      const answer = untilClosed(conn);
      for (let at = 0; at < head.length; at += piece) {
        try {
          await conn.write(head.subarray(at, at + piece));
        } catch {
          break; // closed once the head went over the limit
        }
      }
      assert.match(await answer, /^HTTP\/1\.1 431 [^]*connection: close\r\n/, `pieces of ${piece}`);
    }
    // A head just within the limit is answered.
    const conn = await connect(port, client);
    const answer = untilClosed(conn);
    const padding = MAX_HEAD_BYTES -
      "GET /healthz HTTP/1.1\r\nConnection: close\r\nX: \r\n\r\n".length;
    await conn.write(
      encoder.encode(
        `GET /healthz HTTP/1.1\r\nConnection: close\r\nX: ${"a".repeat(padding)}\r\n\r\n`,
      ),
    );
    assert.match(await answer, /^HTTP\/1\.1 200 /);
  });
});

Deno.test("HTTP/1.1 over mTLS: a head or body sent too slowly is closed at the request deadline, an idle connection at the idle one", async () => {
  await withDir(async (dir) => {
    const { tls, client } = await writeGatewayTls(dir);
    const args = ["--idle-timeout-ms", "3000", "--request-timeout-ms", "1000"];
    await using gateway = startGateway(dir, freePort(), args, undefined, tls);
    const { port } = await gateway.waitFor("Listening") as { port: number };
    /** How long after `sent` the gateway closed a connection then dripping `dripped`. */
    const closedAfter = async (sent: string, dripped: string): Promise<number> => {
      const conn = await connect(port, client);
      const closed = untilClosed(conn);
      const start = performance.now();
      let open = true;
      closed.then(() => (open = false));
      if (sent !== "") await conn.write(encoder.encode(sent));
      // A byte every 100 ms: progress, but not enough to finish in time.
      for (const byte of encoder.encode(dripped)) {
        if (!open) break;
        await conn.write(new Uint8Array([byte])).catch(() => (open = false));
        await pause(100);
      }
      await closed;
      return performance.now() - start;
    };
    const [head, body, idle] = await Promise.all([
      closedAfter("", `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: ${"p".repeat(40)}\r\n\r\n`),
      closedAfter("POST /healthz HTTP/1.1\r\nContent-Length: 40\r\n\r\n", "b".repeat(40)),
      (async () => {
        const conn = await connect(port, client);
        const start = performance.now();
        await conn.write(encoder.encode("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
        const answer = await untilClosed(conn);
        assert.match(answer, /^HTTP\/1\.1 200 /);
        return performance.now() - start;
      })(),
    ]);
    for (const [what, ms] of [["head", head], ["body", body]] as const) {
      assert.ok(ms >= 900 && ms < 2500, `a slow ${what} closed after ${ms} ms`);
    }
    assert.ok(idle >= 2900 && idle < 4500, `an idle connection closed after ${idle} ms`);
    gateway.child.kill("SIGTERM");
    const { lines } = await gateway.finish();
    assert.deepEqual(closedReasons(lines), { "idle timeout": 1, "request timeout": 2 });
  });
});

/** How many connections the gateway's log says it closed on its own, by reason. */
function closedReasons(lines: Record<string, unknown>[]): Record<string, number> {
  const reasons: Record<string, number> = {};
  for (const line of lines) {
    if (line.msg === "Connection closed") {
      const reason = String(line.reason);
      reasons[reason] = (reasons[reason] ?? 0) + 1;
    } else if (line.msg === "Rejections not logged one by one") {
      for (const [, reason, count] of String(line.reasons).matchAll(/([^,:]+): (\d+)/g)) {
        reasons[reason!.trim()] = (reasons[reason!.trim()] ?? 0) + Number(count);
      }
    }
  }
  return reasons;
}

Deno.test("HTTP/1.1 over mTLS: a client that stops reading its answers is closed once it sends more, memory bounded", async () => {
  await withDir(async (dir) => {
    const { tls, client } = await writeGatewayTls(dir);
    await using gateway = startGateway(dir, freePort(), [], undefined, tls);
    const { port } = await gateway.waitFor("Listening") as { port: number };
    const pid = gateway.child.pid;
    const before = await memoryMiB(pid);
    const conn = await connect(port, client);
    // Pipelined requests, never an answer read, until the gateway closes the connection (or
    // has read 128 MiB of them: it answers as if all were read).
    const batch = encoder.encode("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n".repeat(2048));
    let sent = 0;
    let closed = false;
    const stopAt = performance.now() + 5000;
    while (!closed && sent < 128 * 1024 * 1024 && performance.now() < stopAt) {
      const at = sent % batch.length;
      await Promise.race([
        conn.write(batch.subarray(at)).then((count) => (sent += count), () => (closed = true)),
        pause(stopAt - performance.now()),
      ]);
    }
    assert.ok(closed, `closed after ${sent} bytes of requests`);
    const after = await memoryMiB(pid);
    assert.ok(after.peak - before.now < 32, `grew ${after.peak - before.now} MiB at its peak`);
    conn.close();
    // Others are answered.
    const other = await connect(port, client);
    await other.write(encoder.encode("GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n"));
    assert.match(await untilClosed(other), /^HTTP\/1\.1 200 /);
    gateway.child.kill("SIGTERM");
    const { lines } = await gateway.finish();
    assert.deepEqual(closedReasons(lines), { "answers unread": 1 });
  });
});
