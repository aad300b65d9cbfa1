import assert from "node:assert/strict";
import { parseGatewayOptions } from "../src/server/_gateway_options.ts";
import {
  create,
  frameMessage,
  fromBinary,
  GetGatewayInfoResponseSchema,
  GrpcStatus,
  HealthRequestSchema,
  HealthResponseSchema,
  ServiceStatus,
  toBinary,
  unframeMessage,
} from "../src/protocol/mod.ts";
import * as bundled from "../src/server/_protocol_bundle.js";
import { createGrpcService } from "../src/server/_grpc_service.ts";
import {
  findHeadEnd,
  HTTP2_PREFACE,
  parseRequestHead,
  sniffProtocol,
} from "../src/server/_http1_request_head.ts";
import { createRejectionLog, MAX_LOGGED_PATH } from "../src/server/_rejection_log.ts";
import { createFrameGuard, goawayFrame } from "../src/server/_http2_frame_guard.ts";
import {
  connectionCap,
  connectionToEvict,
  CONTROL_FRAME_BURST,
  CONTROL_FRAMES_PER_SECOND,
  DEFAULT_OPEN_FILES,
  expiredConnections,
  MAX_CONNECTIONS_CEILING,
  MAX_CONTINUATION_FRAMES,
  MAX_TLS_ACCEPT_BACKLOG,
  MIN_CONNECTIONS,
  RESERVED_DESCRIPTORS,
  takeToken,
  tlsListenLimits,
} from "../src/server/_limits.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

const encodeHealth = (status: number, version: string) =>
  toBinary(HealthResponseSchema, create(HealthResponseSchema, { status, version }));
const encodeInfo = (init: Parameters<typeof create<typeof GetGatewayInfoResponseSchema>>[1]) =>
  toBinary(GetGatewayInfoResponseSchema, create(GetGatewayInfoResponseSchema, init));

Deno.test("HealthResponse and GetGatewayInfoResponse encode with upstream's field numbers", () => {
  // Worked by hand from upstream's proto/openshell.proto: tag (field << 3 | wire type), value.
  assert.deepEqual(
    encodeHealth(ServiceStatus.HEALTHY, "9.9.9"),
    new Uint8Array([0x08, 0x01, 0x12, 0x05, ...bytes("9.9.9")]),
  );
  assert.deepEqual(encodeHealth(0, ""), new Uint8Array(0));
  assert.deepEqual(
    encodeInfo({ status: 1, gatewayVersion: "1.2" }),
    new Uint8Array([0x08, 0x01, 0x12, 0x03, ...bytes("1.2")]),
  );
  assert.deepEqual(
    encodeInfo({
      status: ServiceStatus.UNHEALTHY,
      computeDrivers: [{ name: "d", capabilities: { driverName: "D", driverVersion: "" } }],
    }),
    new Uint8Array([0x08, 0x03, 0x1a, 0x08, 0x0a, 0x01, 0x64, 0x12, 0x03, 0x0a, 0x01, 0x44]),
  );
  const long = "v".repeat(200); // a length over 127 takes a two-byte varint
  assert.deepEqual(
    encodeHealth(2, long).subarray(0, 5),
    new Uint8Array([0x08, 0x02, 0x12, 0xc8, 0x01]),
  );
  // The bundle the gateway loads encodes the same bytes.
  assert.deepEqual(
    bundled.toBinary(
      bundled.HealthResponseSchema,
      bundled.create(bundled.HealthResponseSchema, { status: 1, version: "9.9.9" }),
    ),
    encodeHealth(1, "9.9.9"),
  );
});

Deno.test("requests with no fields accept unknown fields and refuse malformed bytes", () => {
  fromBinary(HealthRequestSchema, new Uint8Array(0));
  // field 1 varint 150, field 2 "ab", field 3 fixed64, field 4 fixed32
  const unknown = [0x08, 0x96, 0x01, 0x12, 0x02, 0x61, 0x62, 0x19, 1, 2, 3, 4, 5, 6, 7, 8];
  fromBinary(HealthRequestSchema, new Uint8Array([...unknown, 0x25, 1, 2, 3, 4]));
  for (
    const malformed of [
      [0x08], // varint value missing
      [0x08, 0x80], // varint truncated
      [0x12, 0x05, 0x61], // length beyond the end
      [0x19, 1, 2], // fixed64 truncated
      [0x00, 0x00], // field number 0
      [0x08, ...Array(11).fill(0xff)], // varint too long
    ]
  ) {
    assert.throws(() => fromBinary(HealthRequestSchema, new Uint8Array(malformed)), `${malformed}`);
  }
});

Deno.test("gRPC frames carry one uncompressed length-prefixed message", () => {
  assert.deepEqual(frameMessage(new Uint8Array([8, 1])), new Uint8Array([0, 0, 0, 0, 2, 8, 1]));
  assert.deepEqual(unframeMessage(new Uint8Array([0, 0, 0, 0, 2, 8, 1])), new Uint8Array([8, 1]));
  for (
    const body of [[], [0, 0, 0, 0], [1, 0, 0, 0, 0], [0, 0, 0, 0, 2, 8], [0, 0, 0, 0, 0, 0]]
  ) {
    assert.throws(() => unframeMessage(new Uint8Array(body)), SyntaxError, `${body}`);
  }
});

Deno.test("the gRPC service answers Health to anyone and GetGatewayInfo with the token", () => {
  const service = createGrpcService({ identity: { version: "9.9.9" }, token: "tok" });
  const call = (
    path: string,
    authorization: string | null = null,
    body = frameMessage(new Uint8Array(0)),
    encoding: string | null = null,
  ) => service({ path: `/openshell.v1.OpenShell/${path}`, authorization, encoding, body });
  assert.deepEqual(call("Health"), {
    status: GrpcStatus.OK,
    payload: encodeHealth(1, "9.9.9"),
  });
  assert.deepEqual(call("GetGatewayInfo", "Bearer tok"), {
    status: GrpcStatus.OK,
    payload: encodeInfo({ status: 1, gatewayVersion: "9.9.9" }),
  });
  for (const authorization of [null, "Bearer nope", "tok", "Basic tok", "Bearer "]) {
    assert.equal(call("GetGatewayInfo", authorization).status, GrpcStatus.UNAUTHENTICATED);
  }
  assert.equal(call("CreateSandbox", "Bearer tok").status, GrpcStatus.UNIMPLEMENTED);
  assert.equal(call("toString").status, GrpcStatus.UNIMPLEMENTED);
  assert.equal(
    service({
      path: "/other.Service/Health",
      authorization: null,
      encoding: null,
      body: new Uint8Array(5),
    })
      .status,
    GrpcStatus.UNIMPLEMENTED,
  );
  assert.equal(call("Health", null, new Uint8Array([0, 0, 0])).status, GrpcStatus.INVALID_ARGUMENT);
  assert.equal(
    call("Health", null, frameMessage(new Uint8Array([0x0b]))).status,
    GrpcStatus.INVALID_ARGUMENT,
  );
  assert.equal(call("Health", null, undefined, "gzip").status, GrpcStatus.UNIMPLEMENTED);
  assert.equal(call("Health", null, undefined, "identity").status, GrpcStatus.OK);
  // Behind mTLS the client certificate is the login.
  const mtls = createGrpcService({
    identity: { version: "9.9.9" },
    token: "tok",
    clientCertificates: true,
  });
  assert.equal(
    mtls({
      path: "/openshell.v1.OpenShell/GetGatewayInfo",
      authorization: null,
      encoding: null,
      body: frameMessage(new Uint8Array(0)),
    }).status,
    GrpcStatus.OK,
  );
});

Deno.test("a connection is HTTP/2 only when it opens with the whole h2c preface", () => {
  for (let length = 0; length < HTTP2_PREFACE.length; length++) {
    assert.equal(sniffProtocol(bytes(HTTP2_PREFACE.slice(0, length))), "more", `${length}`);
  }
  assert.equal(sniffProtocol(bytes(HTTP2_PREFACE)), "http2");
  assert.equal(sniffProtocol(bytes(HTTP2_PREFACE + "\x00\x00\x00\x04")), "http2");
  assert.equal(sniffProtocol(bytes("GET / HTTP/1.1\r\n")), "http1");
  assert.equal(sniffProtocol(bytes("PRI / HTTP/1.1\r\n")), "http1");
  assert.equal(sniffProtocol(bytes("P")), "more");
  assert.equal(sniffProtocol(bytes("X")), "http1");
});

Deno.test("a request head ends at the first blank line, CRLF or bare LF", () => {
  assert.equal(findHeadEnd(bytes("GET / HTTP/1.1\r\n\r\n")), 18);
  assert.equal(findHeadEnd(bytes("GET / HTTP/1.1\n\nbody")), 16);
  assert.equal(findHeadEnd(bytes("GET / HTTP/1.1\r\nHost: x\r\n\r\nGET")), 27);
  assert.equal(findHeadEnd(bytes("GET / HTTP/1.1\r\nHost: x\r\n")), -1);
  assert.equal(findHeadEnd(bytes("")), -1);
});

Deno.test("a head's end is found the same when scanning resumes where an earlier scan stopped", () => {
  const heads = [
    "GET / HTTP/1.1\r\n\r\n",
    "GET / HTTP/1.1\n\nbody",
    "GET / HTTP/1.1\r\nHost: x\r\n\r\nGET",
    "GET / HTTP/1.1\r\nHost: x\n\r\n",
    "\n\r\n",
    "GET / HTTP/1.1\r\nHost: x\r\n",
  ];
  for (const head of heads) {
    const full = bytes(head);
    for (let scanned = 0; scanned <= full.length; scanned++) {
      // Only a prefix with no end in it counts as scanned.
      if (findHeadEnd(full.subarray(0, scanned)) >= 0) continue;
      assert.equal(
        findHeadEnd(full, scanned),
        findHeadEnd(full),
        `${JSON.stringify(head)} @${scanned}`,
      );
    }
  }
});

Deno.test("request heads are parsed strictly", () => {
  assert.deepEqual(parseRequestHead("GET /healthz?x=1 HTTP/1.1\r\nHost: a\r\nX-A:  b c \r\n\r\n"), {
    method: "GET",
    target: "/healthz?x=1",
    minor: 1,
    headers: [["host", "a"], ["x-a", "b c"]],
    contentLength: 0,
    keepAlive: true,
    expectContinue: false,
  });
  const expect = (head: string) => (parseRequestHead(head) as { expectContinue: boolean });
  assert.equal(expect("POST / HTTP/1.1\r\nExpect: 100-Continue").expectContinue, true);
  assert.equal(expect("POST / HTTP/1.1\r\nExpect: 200-ok").expectContinue, false);
  const keepAlive = (head: string) => (parseRequestHead(head) as { keepAlive: boolean }).keepAlive;
  assert.equal(keepAlive("\r\nGET / HTTP/1.1\r\nConnection: close"), false);
  assert.equal(keepAlive("GET / HTTP/1.1\r\nConnection: Upgrade, Close"), false);
  assert.equal(keepAlive("GET / HTTP/1.0"), false);
  assert.equal(keepAlive("GET / HTTP/1.0\r\nConnection: keep-alive"), true);
  const length = (head: string) => (parseRequestHead(head) as { contentLength: number });
  assert.equal(length("POST / HTTP/1.1\r\nContent-Length: 12").contentLength, 12);
  assert.equal(
    length("POST / HTTP/1.1\r\nContent-Length: 3, 3\r\ncontent-length: 3").contentLength,
    3,
  );
  const status = (head: string) => (parseRequestHead(head) as { status?: number }).status;
  const cases: [string, number | undefined][] = [
    ["GET / HTTP/1.1", undefined],
    ["", 400],
    ["GET /", 400],
    ["GET  / HTTP/1.1", 400],
    ["G(T / HTTP/1.1", 400],
    ["GET http://x/ HTTP/1.1", 400],
    ["GET * HTTP/1.1", 400],
    ["GET /a b HTTP/1.1", 400],
    ["GET / HTTP/2.0", 505],
    ["GET / HTTP/1.2", 505],
    ["GET / HTTP/1.1\r\nNo colon", 400],
    ["GET / HTTP/1.1\r\n: empty name", 400],
    ["GET / HTTP/1.1\r\nBad name: x", 400],
    ["GET / HTTP/1.1\r\n folded: x", 400],
    ["GET / HTTP/1.1\r\nX: a\x00b", 400],
    ["POST / HTTP/1.1\r\nContent-Length: 1, 2", 400],
    ["POST / HTTP/1.1\r\nContent-Length: -1", 400],
    ["POST / HTTP/1.1\r\nContent-Length: 1e3", 400],
    ["POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2", 400],
    ["POST / HTTP/1.1\r\nTransfer-Encoding: chunked", 411],
    ["POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\nContent-Length: 3", 411],
    ["POST / HTTP/1.1\r\nTransfer-Encoding: gzip", 501],
  ];
  for (const [head, expected] of cases) assert.equal(status(head), expected, JSON.stringify(head));
});

Deno.test("at the cap the connection with least progress gives way, busy or not; deadlines expire", () => {
  const idleOld = { since: 1, deadline: 11 };
  const busyOlder = { since: 0, deadline: 20 };
  const fresh = { since: 5, deadline: 15 };
  assert.equal(connectionToEvict([fresh, idleOld, busyOlder]), busyOlder);
  assert.equal(connectionToEvict([fresh, idleOld]), idleOld);
  assert.equal(connectionToEvict([]), undefined);
  assert.deepEqual(expiredConnections([idleOld, busyOlder, fresh], 15), [idleOld, fresh]);
  assert.deepEqual(expiredConnections([busyOlder], 19), []);
});

Deno.test("the connection cap follows the descriptor limit, within its floor and ceiling", () => {
  assert.equal(connectionCap(20000), MAX_CONNECTIONS_CEILING);
  assert.equal(connectionCap(4096), 4096 - RESERVED_DESCRIPTORS);
  assert.equal(connectionCap(DEFAULT_OPEN_FILES), DEFAULT_OPEN_FILES - RESERVED_DESCRIPTORS);
  assert.equal(connectionCap(64), MIN_CONNECTIONS);
  for (const limit of [1, 100, 1024, 5000, 65536, 1 << 20]) {
    const cap = connectionCap(limit);
    assert.ok(cap >= MIN_CONNECTIONS && cap <= MAX_CONNECTIONS_CEILING, `${limit}`);
    if (limit >= RESERVED_DESCRIPTORS + MIN_CONNECTIONS) {
      assert.ok(cap <= limit - RESERVED_DESCRIPTORS, `${limit}`);
    }
  }
});

Deno.test("over TLS the accept queue and the cap leave room for a whole queue under the descriptor limit", () => {
  assert.deepEqual(tlsListenLimits(DEFAULT_OPEN_FILES, connectionCap(DEFAULT_OPEN_FILES)), {
    backlog: MAX_TLS_ACCEPT_BACKLOG,
    cap: DEFAULT_OPEN_FILES - MAX_TLS_ACCEPT_BACKLOG - RESERVED_DESCRIPTORS,
  });
  assert.deepEqual(tlsListenLimits(96, 1000), { backlog: 24, cap: MIN_CONNECTIONS });
  assert.deepEqual(tlsListenLimits(65536, 100), { backlog: MAX_TLS_ACCEPT_BACKLOG, cap: 100 });
  for (const limit of [1, 96, 256, 1024, 5000, 65536, 1 << 20]) {
    for (const asked of [1, 1000, MAX_CONNECTIONS_CEILING]) {
      const { backlog, cap } = tlsListenLimits(limit, asked);
      assert.ok(backlog >= 1 && backlog <= MAX_TLS_ACCEPT_BACKLOG, `${limit}`);
      assert.ok(cap <= asked && cap <= connectionCap(limit), `${limit} ${asked}`);
      if (limit >= 4 * (RESERVED_DESCRIPTORS + MIN_CONNECTIONS) && asked >= MIN_CONNECTIONS) {
        assert.ok(cap + backlog <= limit - RESERVED_DESCRIPTORS, `${limit} ${asked}`);
      }
    }
  }
});

Deno.test("the HTTP/2 frame guard: control-frame floods, header blocks, and the client's GOAWAY", () => {
  const frame = (type: number, flags: number, stream: number, payload = 0) =>
    [payload >> 16, (payload >> 8) & 0xff, payload & 0xff, type, flags, 0, 0, 0, stream].concat(
      Array(payload).fill(0),
    );
  const ping = frame(6, 0, 0, 8);
  const guard = createFrameGuard(0);
  const burst = new Uint8Array(Array.from({ length: CONTROL_FRAME_BURST }, () => ping).flat());
  assert.equal(guard.read(burst, 0), undefined, "the burst passes");
  assert.match(
    JSON.stringify(guard.read(new Uint8Array(ping), 0)),
    /"flood":.*control frames.*PING/,
  );
  assert.equal(guard.read(new Uint8Array(ping), 1000 / CONTROL_FRAMES_PER_SECOND), undefined);
  // Acknowledgements and DATA with a body are progress, never counted.
  const acks = createFrameGuard(0);
  const progress = [...frame(6, 1, 0, 8), ...frame(0, 0, 1, 5), ...frame(4, 1, 0)];
  const many = new Uint8Array(
    Array.from({ length: 2 * CONTROL_FRAME_BURST }, () => progress).flat(),
  );
  assert.equal(acks.read(many, 0), undefined);
  // A header block split into more CONTINUATION frames than allowed.
  const headers = createFrameGuard(0);
  const split = [
    ...frame(1, 0, 1, 4),
    ...Array(MAX_CONTINUATION_FRAMES + 1).fill(frame(9, 0, 1, 4)).flat(),
  ];
  assert.match(JSON.stringify(headers.read(new Uint8Array(split), 0)), /"flood":.*CONTINUATION/);
  assert.equal(headers.lastStreamId, 1);
  // The client's GOAWAY: where it starts, also when its header spans two chunks.
  const goaway = frame(7, 0, 0, 8);
  const bye = createFrameGuard(0);
  assert.deepEqual(bye.read(new Uint8Array([...ping, ...goaway]), 0), { goodbyeAt: ping.length });
  const split2 = createFrameGuard(0);
  assert.equal(split2.read(new Uint8Array([...ping, ...goaway.slice(0, 4)]), 0), undefined);
  assert.deepEqual(split2.read(new Uint8Array(goaway.slice(4)), 0), { goodbyeAt: 0 });
  assert.equal(goawayFrame(3, 11).length, 17);
});

Deno.test("a token bucket allows its burst, then its rate", () => {
  const bucket = { tokens: 3, at: 0 };
  assert.deepEqual([0, 0, 0, 0].map((t) => takeToken(bucket, t, 3, 10)), [true, true, true, false]);
  assert.equal(takeToken(bucket, 50, 3, 10), false, "half a token refilled");
  assert.equal(takeToken(bucket, 100, 3, 10), true, "one refilled after 100 ms");
  assert.equal(takeToken(bucket, 100, 3, 10), false);
  // Refilling stops at the burst.
  const idle = { tokens: 0, at: 0 };
  assert.equal([...Array(5)].filter(() => takeToken(idle, 60_000, 3, 10)).length, 3);
});

Deno.test("the gateway's limits are options with defaults; bad counts are refused", () => {
  const defaults = parseGatewayOptions([]);
  assert.equal(defaults.maxConnections, connectionCap(DEFAULT_OPEN_FILES));
  assert.equal(defaults.idleTimeoutMs, 10_000);
  assert.equal(defaults.requestTimeoutMs, 10_000);
  assert.equal(parseGatewayOptions(["--open-files", "5000"]).maxConnections, connectionCap(5000));
  assert.equal(
    parseGatewayOptions(["--max-connections", "9", "--open-files", "5000"]).maxConnections,
    9,
    "an explicit cap wins",
  );
  assert.equal(defaults.rejectionLogIntervalMs, 10_000);
  const set = parseGatewayOptions([
    "--idle-timeout-ms=250",
    "--max-connections",
    "7",
    "--rejection-log-interval-ms",
    "100",
  ]);
  assert.deepEqual(
    [set.idleTimeoutMs, set.maxConnections, set.rejectionLogIntervalMs],
    [250, 7, 100],
  );
  for (const bad of ["0", "-1", "1.5", "x", "9999999999"]) {
    assert.throws(() => parseGatewayOptions(["--max-connections", bad]), /positive integer/);
  }
});

Deno.test("rejections: the first of an interval in full, the rest as one count", async () => {
  let clock = 0;
  const lines: { msg: string; fields: Record<string, unknown> }[] = [];
  const log = createRejectionLog(
    (_level, msg, fields) => lines.push({ msg, fields }),
    1000,
    () => clock,
  );
  log.record("info", "Request", "401", { path: "/v1/info", status: 401 });
  for (let i = 0; i < 500; i++) log.record("info", "Request", "401", { status: 401 });
  log.record("warn", "Connection closed", "idle timeout", {});
  assert.equal(lines.length, 1);
  assert.deepEqual(lines[0], { msg: "Request", fields: { path: "/v1/info", status: 401 } });
  clock = 1000; // the next interval: the count first, then this one in full
  log.record("info", "Request", "404", { path: "/x".repeat(MAX_LOGGED_PATH), status: 404 });
  assert.equal(lines.length, 3);
  assert.deepEqual(lines[1], {
    msg: "Rejections not logged one by one",
    fields: { count: 501, reasons: "401: 500, idle timeout: 1", interval_seconds: 1 },
  });
  assert.equal(String(lines[2]!.fields.path).length, MAX_LOGGED_PATH + 3);
  log.record("info", "Request", "404", {});
  log.flush();
  assert.equal(lines.length, 4);
  assert.equal(lines[3]!.fields.count, 1);
  log.flush();
  assert.equal(lines.length, 4, "nothing counted, nothing written");

  // With a real clock the count is written when the interval ends, without further traffic.
  const timed: string[] = [];
  const real = createRejectionLog((_level, msg) => timed.push(msg), 50);
  real.record("info", "Request", "401", {});
  real.record("info", "Request", "401", {});
  await new Promise((resolve) => setTimeout(resolve, 120));
  assert.deepEqual(timed, ["Request", "Rejections not logged one by one"]);
});
