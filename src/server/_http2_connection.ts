/**
 * HTTP/2 (h2c) on connections the gateway's listener has already accepted, through
 * `node:http2`: the only server in Deno 2.9 that sends the trailers gRPC needs
 * (`grpc-status`). gRPC calls go to the gRPC service; any other request to the same
 * `Request -> Response` handler as HTTP/1.1. Loaded on the first HTTP/2 connection, and with it
 * the gRPC service and its protobuf code: a gateway no HTTP/2 client has reached holds neither.
 *
 * @module
 */
import http2 from "node:http2";
import type { Duplex } from "node:stream";
import { type GatewayAnswer, json } from "./_gateway_handler.ts";
import { createFrameGuard, goawayFrame } from "./_http2_frame_guard.ts";
import { streamSocket } from "./_node_stream.ts";
import {
  BODY_TOO_LARGE,
  MAX_CONCURRENT_STREAMS,
  MAX_HEADER_LIST_BYTES,
  MAX_REQUEST_BYTES,
} from "./_limits.ts";
import type {
  ByteStream,
  ConnectionServices,
  Http2Acceptor,
  OpenConnection,
} from "./_served_connection.ts";
import { frameMessage, GrpcStatus } from "../contract/mod.ts";
import { createGrpcService, type GrpcCall, type GrpcReply } from "./_grpc_service.ts";

/** The HTTP/2 connection preface, which the listener has already read. */
const PREFACE_BYTES = 24;
/** GOAWAY's error code for a peer that sends too much. */
const ENHANCE_YOUR_CALM = 0xb;

/**
 * Builds the HTTP/2 side: a function serving one accepted connection until it closes.
 *
 * @example
 * ```ts
 * import { createHttp2Acceptor } from "./_http2_connection.ts";
 * import type { ByteStream, ConnectionServices, OpenConnection } from "./_served_connection.ts";
 * async function serveH2(services: ConnectionServices, conn: ByteStream, preface: Uint8Array) {
 *   const accept = createHttp2Acceptor(services);
 *   const now = Date.now();
 *   const tracked: OpenConnection = {
 *     since: now,
 *     deadline: now + services.idleTimeoutMs,
 *     busy: false,
 *     close: () => conn.close(),
 *   };
 *   await accept(conn, preface, tracked); // until the connection closes
 * }
 * ```
 */
export function createHttp2Acceptor(options: ConnectionServices): Http2Acceptor {
  const grpc = createGrpcService(options.grpc);
  const server = http2.createServer({
    settings: {
      maxConcurrentStreams: MAX_CONCURRENT_STREAMS,
      maxHeaderListSize: MAX_HEADER_LIST_BYTES,
    },
  });
  const connections = new WeakMap<
    http2.Http2Session,
    { tracked: OpenConnection; streams: number }
  >();
  let accepting: OpenConnection | undefined;
  server.on("session", (session) => {
    session.on("error", () => {});
    if (accepting) connections.set(session, { tracked: accepting, streams: 0 });
  });
  server.on("sessionError", () => {});
  server.on("stream", (stream, headers) => {
    stream.on("error", () => {});
    const connection = connections.get(stream.session!);
    if (connection) {
      // A stream opened is progress; its request must arrive and be answered in time.
      const { tracked } = connection;
      connection.streams++;
      progressed(tracked, connection.streams, options);
      const timer = setTimeout(() => {
        options.onClosed("request timeout");
        stream.close(http2.constants.NGHTTP2_CANCEL);
      }, options.requestTimeoutMs);
      stream.on("close", () => {
        clearTimeout(timer);
        connection.streams--;
        progressed(tracked, connection.streams, options);
      });
    }
    answer(stream, headers, options, grpc).catch(() => stream.destroy());
  });
  return (conn, pending, tracked) =>
    new Promise<void>((resolve) => {
      const socket = guardedSocket(conn, pending, options);
      tracked.close = () => socket.destroy();
      socket.on("close", () => resolve());
      socket.on("error", () => {});
      accepting = tracked;
      server.emit("connection", socket);
      accepting = undefined;
    });
}

/** Marks progress on an HTTP/2 connection: its deadline is the request's while streams are open. */
function progressed(tracked: OpenConnection, streams: number, options: ConnectionServices): void {
  const now = Date.now();
  tracked.since = now;
  tracked.busy = streams > 0;
  tracked.deadline = now + (streams > 0 ? options.requestTimeoutMs : options.idleTimeoutMs);
}

async function answer(
  stream: http2.ServerHttp2Stream,
  headers: http2.IncomingHttpHeaders,
  options: ConnectionServices,
  grpc: (call: GrpcCall) => GrpcReply,
): Promise<void> {
  const method = String(headers[":method"] ?? "");
  const path = String(headers[":path"] ?? "");
  const body = await readBody(stream);
  const logged = path.split("?")[0]!;
  if (method === "POST" && /^application\/grpc(?:[+;]|$)/.test(headers["content-type"] ?? "")) {
    const reply = body === undefined
      ? { status: GrpcStatus.RESOURCE_EXHAUSTED, message: BODY_TOO_LARGE }
      : grpc({
        path,
        authorization: headers.authorization ?? null,
        encoding: single(headers["grpc-encoding"]),
        body,
      });
    if (reply.status === GrpcStatus.OK && reply.payload) {
      stream.respond({ ":status": 200, "content-type": "application/grpc" }, {
        waitForTrailers: true,
      });
      stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
      stream.end(frameMessage(reply.payload));
    } else {
      stream.respond({
        ":status": 200,
        "content-type": "application/grpc",
        "grpc-status": String(reply.status),
        "grpc-message": encodeURIComponent(reply.message ?? ""),
      }, { endStream: true });
    }
    options.onAnswer({
      protocol: "h2",
      method,
      path: logged,
      status: 200,
      grpcStatus: reply.status,
    });
    return;
  }
  let response: GatewayAnswer = json(413, { error: BODY_TOO_LARGE });
  let failure: string | undefined;
  if (body !== undefined) {
    try {
      response = await options.handler({
        method,
        path: logged,
        header: (name) => single(headers[name]),
      });
    } catch (error) {
      response = json(500, { error: "Internal error" });
      failure = (error as Error).message;
    }
  }
  const bytes = new TextEncoder().encode(response.body);
  const responseHeaders: http2.OutgoingHttpHeaders = {
    ":status": response.status,
    ...response.headers,
    "content-length": bytes.length,
  };
  if (method === "HEAD") stream.respond(responseHeaders, { endStream: true });
  else {
    stream.respond(responseHeaders);
    stream.end(bytes);
  }
  options.onAnswer({
    protocol: "h2",
    method,
    path: logged,
    status: response.status,
    ...(failure === undefined ? {} : { error: failure }),
  });
}

/** The request body, or undefined when it is larger than the limit. */
function readBody(stream: http2.ServerHttp2Stream): Promise<Uint8Array<ArrayBuffer> | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    let total = 0;
    stream.on("data", (chunk: Uint8Array) => {
      total += chunk.length;
      if (total > MAX_REQUEST_BYTES) {
        stream.pause();
        resolve(undefined);
      } else chunks.push(chunk);
    });
    stream.on("end", () => {
      const body = new Uint8Array(total);
      let offset = 0;
      for (const chunk of chunks) {
        body.set(chunk, offset);
        offset += chunk.length;
      }
      resolve(body);
    });
    stream.on("error", reject);
  });
}

function single(value: string | string[] | undefined): string | null {
  return value === undefined ? null : Array.isArray(value) ? value.join(",") : value;
}

/**
 * A Node stream over the connection whose frames pass the flood guard first: past a bound the
 * session gets GOAWAY (ENHANCE_YOUR_CALM) and is closed. The client's own GOAWAY, and all it
 * sends after it, is kept from `node:http2` (see the guard).
 */
function guardedSocket(conn: ByteStream, pending: Uint8Array, options: ConnectionServices): Duplex {
  const guard = createFrameGuard(Date.now());
  let preface = PREFACE_BYTES;
  return streamSocket(conn, pending, (bytes) => {
    const skipped = Math.min(preface, bytes.length);
    preface -= skipped;
    const verdict = guard.read(bytes.subarray(skipped), Date.now());
    if (verdict === undefined) return undefined;
    if ("goodbyeAt" in verdict) return { goodbyeAt: skipped + verdict.goodbyeAt };
    options.onClosed("http2 flood", verdict.flood);
    return { last: goawayFrame(guard.lastStreamId, ENHANCE_YOUR_CALM) };
  });
}
