/**
 * Serves HTTP/1.x requests on one connection, one after another, through the gateway's
 * `Request -> Response` handler. Bodies are read up to the handler's limit; a connection
 * whose body was not read to its end is closed after the answer.
 *
 * @module
 */
import { json, MAX_REQUEST_BYTES } from "./_gateway_handler.ts";
import { findHeadEnd, MAX_HEAD_BYTES, parseRequestHead } from "./_http1_request_head.ts";
import type { Answer, ByteStream, OpenConnection } from "./_served_connection.ts";

/** The most one read takes from the socket. */
const READ_SIZE = 16 * 1024;
const encoder = new TextEncoder();
// Field values outside ASCII decode to text the head parser refuses: nothing here needs them.
const decoder = new TextDecoder();

const REASONS: Record<number, string> = {
  200: "OK",
  400: "Bad Request",
  401: "Unauthorized",
  404: "Not Found",
  405: "Method Not Allowed",
  411: "Length Required",
  413: "Content Too Large",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  501: "Not Implemented",
  505: "HTTP Version Not Supported",
};

/**
 * Answers requests on `conn` until the client closes, asks to close, or the connection is
 * closed from outside (idle timeout, eviction); `pending` holds bytes already read.
 */
export async function serveHttp1(
  conn: ByteStream,
  pending: Uint8Array,
  tracked: OpenConnection,
  handler: (request: Request) => Promise<Response>,
  onAnswer: (answer: Answer) => void,
): Promise<void> {
  // Unread bytes are `buffer[start, filled)`. Reads land behind them and the buffer is compacted
  // or doubled only when full, so a client dripping bytes costs linear copying, not quadratic.
  let buffer = new Uint8Array(Math.max(READ_SIZE, pending.length) * 2);
  buffer.set(pending);
  let start = 0;
  let filled = pending.length;
  const readMore = async (): Promise<boolean> => {
    if (buffer.length - filled < READ_SIZE) {
      const unread = buffer.subarray(start, filled);
      const target = 2 * unread.length + READ_SIZE > buffer.length
        ? new Uint8Array(2 * buffer.length)
        : buffer;
      target.set(unread);
      buffer = target;
      filled -= start;
      start = 0;
    }
    const count = await conn.read(buffer.subarray(filled, filled + READ_SIZE));
    if (count === null) return false;
    filled += count;
    pending = buffer.subarray(start, filled);
    return true;
  };
  const consume = (count: number) => {
    start += count;
    pending = buffer.subarray(start, filled);
  };
  for (;;) {
    let end: number;
    let scanned = 0;
    while ((end = findHeadEnd(pending, scanned)) < 0 && pending.length <= MAX_HEAD_BYTES) {
      scanned = pending.length;
      if (!(await readMore())) return;
    }
    if (end < 0 || end > MAX_HEAD_BYTES) {
      tracked.busy = true;
      const error = `Request head larger than ${MAX_HEAD_BYTES} bytes`;
      await reply(conn, 1, "GET", json(431, { error }), false);
      onAnswer({ protocol: "http/1.1", method: "", path: "", status: 431 });
      return;
    }
    const head = parseRequestHead(decoder.decode(pending.subarray(0, end)));
    consume(end);
    tracked.busy = true;
    if (!("method" in head)) {
      await reply(conn, 1, "GET", json(head.status, { error: head.error }), false);
      onAnswer({ protocol: "http/1.1", method: "", path: "", status: head.status });
      return;
    }
    // A declared body over the limit is not read: the handler refuses it by its length.
    const wanted = head.contentLength > MAX_REQUEST_BYTES ? 0 : head.contentLength;
    while (pending.length < wanted) {
      if (!(await readMore())) return;
    }
    const body = pending.slice(0, wanted);
    consume(wanted);
    const keepAlive = head.keepAlive && wanted === head.contentLength;
    const path = head.target.split("?")[0]!;
    let request: Request | undefined;
    try {
      const bodyless = head.method === "GET" || head.method === "HEAD" || body.length === 0;
      request = new Request(`http://gateway${head.target}`, {
        method: head.method,
        headers: head.headers,
        body: bodyless ? null : body,
      });
    } catch { /* a method or header value the Fetch API refuses */ }
    let response: Response;
    let failure: string | undefined;
    try {
      response = request ? await handler(request) : json(400, { error: "Malformed request" });
    } catch (error) {
      response = json(500, { error: "Internal error" });
      failure = (error as Error).message;
    }
    await reply(conn, head.minor, head.method, response, keepAlive);
    onAnswer({
      protocol: "http/1.1",
      method: head.method,
      path,
      status: response.status,
      ...(failure === undefined ? {} : { error: failure }),
    });
    tracked.busy = false;
    tracked.since = Date.now();
    if (!keepAlive) return;
  }
}

async function reply(
  conn: ByteStream,
  minor: 0 | 1,
  method: string,
  response: Response,
  keepAlive: boolean,
): Promise<void> {
  const body = await response.bytes();
  let head = `HTTP/1.${minor} ${response.status} ${REASONS[response.status] ?? ""}\r\n`;
  response.headers.forEach((value, name) => {
    if (name !== "content-length" && name !== "connection") head += `${name}: ${value}\r\n`;
  });
  head += `content-length: ${body.length}\r\n`;
  if (!keepAlive) head += "connection: close\r\n";
  else if (minor === 0) head += "connection: keep-alive\r\n";
  // HEAD: the length of the body a GET would get, and no body.
  const sent = method === "HEAD" ? new Uint8Array(0) : body;
  const buffer = new Uint8Array(3 * (head.length + 2) + sent.length);
  const { written: headLength } = encoder.encodeInto(head + "\r\n", buffer);
  buffer.set(sent, headLength);
  const bytes = buffer.subarray(0, headLength + sent.length);
  for (let written = 0; written < bytes.length;) {
    written += await conn.write(bytes.subarray(written));
  }
}
