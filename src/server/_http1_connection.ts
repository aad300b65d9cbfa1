/**
 * Serves HTTP/1.x requests on one connection, one after another, through the gateway's
 * routes. A request must arrive whole (head and body) and be answered within the request
 * timeout of its first byte; between requests the idle timeout applies. Bodies over the limit
 * are refused by their declared length, unread, and the connection closed after the answer.
 *
 * The loop is written for the cost per request: one read into a buffer the connection reuses
 * and one write per request, no `Request` or `Response` object, a repeated request head not
 * parsed again, and a constant answer (the health check's) not encoded again.
 *
 * @module
 */
import { type GatewayAnswer, type GatewayRequest, json } from "./_gateway_handler.ts";
import { findHeadEnd, parseRequestHead, type RequestHead } from "./_http1_request_head.ts";
import {
  BODY_TOO_LARGE,
  KEPT_HEAD_BYTES,
  KEPT_HEADS,
  MAX_HEAD_BYTES,
  MAX_REQUEST_BYTES,
} from "./_limits.ts";
import {
  type Answer,
  type ByteStream,
  type ConnectionServices,
  type OpenConnection,
  writeAll,
} from "./_served_connection.ts";

/** The least room a read is given; the buffer is compacted or doubled to make it. */
const READ_ROOM = 4096;
const encoder = new TextEncoder();
// Field values outside ASCII decode to text the head parser refuses: nothing here needs them.
const decoder = new TextDecoder();
const CONTINUE = encoder.encode("HTTP/1.1 100 Continue\r\n\r\n");

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
 * closed from outside (deadline, eviction); `buffer[0, filled)` holds bytes already read.
 */
export async function serveHttp1(
  conn: ByteStream,
  initial: Uint8Array,
  initialFilled: number,
  tracked: OpenConnection,
  services: ConnectionServices,
): Promise<void> {
  // Unread bytes are `buffer[start, filled)`; reads land behind them.
  let buffer = initial;
  let start = 0;
  let filled = initialFilled;
  let last: ParsedHead | undefined;
  const readMore = async (): Promise<boolean> => {
    if (buffer.length - filled < READ_ROOM) {
      const unread = filled - start;
      const target = unread + READ_ROOM > buffer.length
        ? new Uint8Array(Math.max(2 * buffer.length, unread + READ_ROOM))
        : buffer;
      if (target === buffer) buffer.copyWithin(0, start, filled);
      else target.set(buffer.subarray(start, filled));
      buffer = target;
      filled = unread;
      start = 0;
    }
    const count = await conn.read(buffer.subarray(filled));
    if (count === null) return false;
    filled += count;
    return true;
  };
  const send = (answer: GatewayAnswer, minor: 0 | 1, head: boolean, keepAlive: boolean) =>
    writeAll(conn, encodeAnswer(answer, minor, head, keepAlive));
  const refuse = async (status: number, error: string) => {
    await send(json(status, { error }), 1, false, false);
    services.onAnswer({ protocol: "http/1.1", method: "", path: "", status });
  };
  for (;;) {
    if (start === filled) {
      // Between requests: the idle deadline, counted from the last progress.
      start = filled = 0;
      tracked.busy = false;
      tracked.deadline = tracked.since + services.idleTimeoutMs;
      const count = await conn.read(buffer);
      if (count === null) return;
      filled = count;
    }
    // A request has begun: all of it must arrive, and be answered, by the request deadline.
    let now = Date.now();
    tracked.busy = true;
    tracked.deadline = now + services.requestTimeoutMs;
    // The head this connection sent last, sent again, ends where it ended (its one blank line
    // is its last): it is neither looked for nor parsed.
    let parsed = last !== undefined && startsWith(buffer, start, filled, last.bytes)
      ? last
      : undefined;
    if (parsed === undefined) {
      let end: number;
      let scanned = 0;
      while ((end = findHeadEnd(buffer.subarray(start, filled), scanned)) < 0) {
        if (filled - start > MAX_HEAD_BYTES) break;
        scanned = filled - start;
        if (!(await readMore())) return;
        now = Date.now();
      }
      if (end < 0 || end > MAX_HEAD_BYTES) {
        return await refuse(431, `Request head larger than ${MAX_HEAD_BYTES} bytes`);
      }
      // A head seen lately on any connection (a probe, a poll) is not parsed again either.
      const bytes = buffer.subarray(start, start + end);
      parsed = keptHead(bytes);
      if (parsed === undefined) {
        const head = parseRequestHead(decoder.decode(bytes));
        if (!("method" in head)) return await refuse(head.status, head.error);
        parsed = { bytes: bytes.slice(), head, request: gatewayRequest(head) };
        if (end <= KEPT_HEAD_BYTES) keepHead(parsed);
      }
      last = end <= KEPT_HEAD_BYTES ? parsed : undefined;
    }
    start += parsed.bytes.length;
    tracked.since = now;
    const { head, request } = parsed;
    const { method, minor } = head;
    const path = request.path;
    // A declared body over the limit is not read: refused by its length, then closed.
    if (head.contentLength > MAX_REQUEST_BYTES) {
      await send(json(413, { error: BODY_TOO_LARGE }), minor, method === "HEAD", false);
      services.onAnswer({ protocol: "http/1.1", method, path, status: 413 });
      return;
    }
    if (filled - start < head.contentLength) {
      if (minor === 1 && head.expectContinue) await writeAll(conn, CONTINUE);
      while (filled - start < head.contentLength) {
        if (!(await readMore())) return;
      }
    }
    start += head.contentLength; // no route takes a body
    let { out, answered } = parsed;
    if (out === undefined || answered === undefined) {
      let answer: GatewayAnswer;
      try {
        const pending = services.handler(request);
        answer = pending instanceof Promise ? await pending : pending;
        answered = { protocol: "http/1.1", method, path, status: answer.status };
      } catch (error) {
        answer = json(500, { error: "Internal error" });
        answered = { protocol: "http/1.1", method, path, status: 500 };
        answered.error = (error as Error).message;
      }
      out = encodeAnswer(answer, minor, method === "HEAD", head.keepAlive);
      // A constant answer is the answer to every request with this head: kept with it.
      if (Object.isFrozen(answer) && answered.error === undefined) {
        parsed.out = out;
        parsed.answered = answered;
      }
    }
    // Written here rather than through `writeAll`, to spare each answer an async step.
    const written = await conn.write(out);
    if (written < out.length) await writeAll(conn, out.subarray(written));
    tracked.since = Date.now();
    services.onAnswer(answered);
    if (!head.keepAlive) return;
  }
}

/**
 * A request head as parsed, its bytes, and the request the routes see of it; with the bytes
 * of its answer and what the log is told of it, when that answer is constant.
 */
interface ParsedHead {
  bytes: Uint8Array;
  head: RequestHead;
  request: GatewayRequest;
  out?: Uint8Array;
  answered?: Answer;
}

function gatewayRequest({ method, target, headers }: RequestHead): GatewayRequest {
  return {
    method,
    path: target.split("?", 1)[0]!,
    header: (name) => {
      let found: string | null = null;
      for (const [field, value] of headers) {
        if (field === name) found = found === null ? value : `${found}, ${value}`;
      }
      return found;
    },
  };
}

/**
 * The heads kept, by a hash of their bytes: one table for the process, which serves one
 * gateway, so a constant answer kept with a head is that gateway's routes' answer.
 */
const kept = new Map<number, ParsedHead>();

function keptHead(bytes: Uint8Array): ParsedHead | undefined {
  const head = kept.get(hashBytes(bytes));
  return head?.bytes.length === bytes.length && startsWith(bytes, 0, bytes.length, head.bytes)
    ? head
    : undefined;
}

function keepHead(head: ParsedHead): void {
  if (kept.size >= KEPT_HEADS) kept.delete(kept.keys().next().value!);
  kept.set(hashBytes(head.bytes), head);
}

/** FNV-1a over `bytes`. */
function hashBytes(bytes: Uint8Array): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) hash = Math.imul(hash ^ bytes[i]!, 0x01000193);
  return hash;
}

/** Whether `bytes[from, to)` starts with `prefix`. */
function startsWith(bytes: Uint8Array, from: number, to: number, prefix: Uint8Array): boolean {
  if (to - from < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[from + i] !== prefix[i]) return false;
  return true;
}

/** The UTF-8 length of `text`. */
function byteLength(text: string): number {
  let length = text.length;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) continue;
    if (code < 0x800) length += 1;
    else if (code >= 0xd800 && code < 0xdc00) length += 1; // a surrogate pair: 4 bytes for 2
    else length += 2;
  }
  return length;
}

/** The bytes of `answer` on the wire. */
function encodeAnswer(
  answer: GatewayAnswer,
  minor: 0 | 1,
  head: boolean,
  keepAlive: boolean,
): Uint8Array {
  let text = `HTTP/1.${minor} ${answer.status} ${REASONS[answer.status] ?? ""}\r\n`;
  for (const name in answer.headers) text += `${name}: ${answer.headers[name]}\r\n`;
  text += `content-length: ${byteLength(answer.body)}\r\n`;
  if (!keepAlive) text += "connection: close\r\n";
  else if (minor === 0) text += "connection: keep-alive\r\n";
  // HEAD: the length of the body a GET would get, and no body.
  text += head ? "\r\n" : "\r\n" + answer.body;
  return encoder.encode(text);
}
