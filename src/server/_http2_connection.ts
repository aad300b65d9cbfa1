/**
 * HTTP/2 (h2c) on connections the gateway's listener has already accepted, through
 * `node:http2`: the only server in Deno 2.9 that sends the trailers gRPC needs
 * (`grpc-status`). gRPC calls go to the gRPC service; any other request to the same
 * `Request -> Response` handler as HTTP/1.1. Loaded on the first HTTP/2 connection.
 *
 * @module
 */
import http2 from "node:http2";
import { BODY_TOO_LARGE, json, MAX_REQUEST_BYTES } from "./_gateway_handler.ts";
import { streamSocket } from "./_node_stream.ts";
import type { ConnectionServices, Http2Acceptor, OpenConnection } from "./_served_connection.ts";
import { frameMessage, GrpcStatus } from "./_grpc_service.ts";

/** At most this many requests at once on one connection. */
const MAX_CONCURRENT_STREAMS = 32;

/**
 * Builds the HTTP/2 side: a function serving one accepted connection until it closes.
 *
 * @example
 * ```ts
 * import { createHttp2Acceptor } from "./_http2_connection.ts";
 * import type { ConnectionServices, OpenConnection } from "./_served_connection.ts";
 * async function serveH2(services: ConnectionServices, conn: Deno.Conn, preface: Uint8Array) {
 *   const accept = createHttp2Acceptor(services);
 *   const tracked: OpenConnection = { since: Date.now(), busy: false, close: () => conn.close() };
 *   await accept(conn, preface, tracked); // until the connection closes
 * }
 * ```
 */
export function createHttp2Acceptor(
  options: ConnectionServices,
): Http2Acceptor {
  const server = http2.createServer({ settings: { maxConcurrentStreams: MAX_CONCURRENT_STREAMS } });
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
      connection.streams++;
      connection.tracked.busy = true;
      stream.on("close", () => {
        connection.streams--;
        connection.tracked.busy = connection.streams > 0;
        connection.tracked.since = Date.now();
      });
    }
    answer(stream, headers, options).catch(() => stream.destroy());
  });
  return (conn, pending, tracked) =>
    new Promise<void>((resolve) => {
      const socket = streamSocket(conn, pending);
      tracked.close = () => socket.destroy();
      socket.on("close", () => resolve());
      socket.on("error", () => {});
      accepting = tracked;
      server.emit("connection", socket);
      accepting = undefined;
    });
}

async function answer(
  stream: http2.ServerHttp2Stream,
  headers: http2.IncomingHttpHeaders,
  options: ConnectionServices,
): Promise<void> {
  const method = String(headers[":method"] ?? "");
  const path = String(headers[":path"] ?? "");
  const body = await readBody(stream);
  const logged = path.split("?")[0]!;
  if (method === "POST" && /^application\/grpc(?:[+;]|$)/.test(headers["content-type"] ?? "")) {
    const reply = body === undefined
      ? { status: GrpcStatus.RESOURCE_EXHAUSTED, message: BODY_TOO_LARGE }
      : options.grpc({
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
  let response = json(413, { error: BODY_TOO_LARGE });
  let failure: string | undefined;
  if (body !== undefined) {
    try {
      response = await options.handler(toRequest(method, path, headers, body));
    } catch (error) {
      response = json(500, { error: "Internal error" });
      failure = (error as Error).message;
    }
  }
  const bytes = await response.bytes();
  const responseHeaders: http2.OutgoingHttpHeaders = { ":status": response.status };
  for (const [name, value] of response.headers) responseHeaders[name] = value;
  responseHeaders["content-length"] = bytes.length;
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

function toRequest(
  method: string,
  path: string,
  headers: http2.IncomingHttpHeaders,
  body: Uint8Array<ArrayBuffer>,
): Request {
  const fields = Object.entries(headers)
    .filter(([name, value]) => !name.startsWith(":") && value !== undefined)
    .map(([name, value]): [string, string] => [
      name,
      Array.isArray(value) ? value.join(", ") : String(value),
    ]);
  const bodyless = method === "GET" || method === "HEAD" || body.length === 0;
  return new Request(`http://gateway${path.startsWith("/") ? path : `/${path}`}`, {
    method,
    headers: fields,
    body: bodyless ? null : body,
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
