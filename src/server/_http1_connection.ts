/**
 * Serves HTTP/1.x requests on one connection, one after another, through the gateway's
 * routes. A request must arrive whole (head and body) and be answered within the request
 * timeout of its first byte; between requests the idle timeout applies. Bodies over the limit
 * are refused by their declared length, unread, and the connection closed after the answer.
 *
 * It is written for the cost per request: one read into a buffer the connection reuses (in
 * plaintext) or none awaited at all (over TLS, answered from the session's own `data` events)
 * and one write per request, no `Request` or `Response` object, a repeated request head not
 * parsed again, and a constant answer (the health check's) not encoded again. Both ways share
 * the reading of heads, the kept heads and answers, and the refusals.
 *
 * @module
 */
import {
  type GatewayAnswer,
  type GatewayHandler,
  type GatewayRequest,
  json,
} from "./_gateway_handler.ts";
import { findHeadEnd, parseRequestHead, type RequestHead } from "./_http1_request_head.ts";
import {
  BODY_TOO_LARGE,
  KEPT_HEAD_BYTES,
  KEPT_HEADS,
  MAX_HEAD_BYTES,
  MAX_REQUEST_BYTES,
  MAX_UNSENT_BYTES,
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
const EMPTY = new Uint8Array(0);

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
  const refuse = async (refusal: Refusal) => {
    await writeAll(conn, refusal.out);
    services.onAnswer(refusal.answered);
  };
  for (;;) {
    if (start === filled) {
      // Between requests: the idle deadline, counted from the last progress.
      start = filled = 0;
      idle(tracked, services);
      const count = await conn.read(buffer);
      if (count === null) return;
      filled = count;
    }
    // A request has begun: all of it must arrive, and be answered, by the request deadline.
    let now = Date.now();
    begun(tracked, services, now);
    let parsed: ReturnType<typeof readHead>;
    let scanned = 0;
    while (typeof (parsed = readHead(buffer, start, filled, last, scanned)) === "number") {
      scanned = parsed;
      if (!(await readMore())) return;
      now = Date.now();
    }
    if ("out" in parsed) return await refuse(parsed);
    last = parsed.bytes.length <= KEPT_HEAD_BYTES ? parsed : undefined;
    start += parsed.bytes.length;
    tracked.since = now;
    const { head } = parsed;
    // A declared body over the limit is not read: refused by its length, then closed.
    if (head.contentLength > MAX_REQUEST_BYTES) return await refuse(bodyTooLarge(parsed));
    if (filled - start < head.contentLength) {
      if (continueFirst(head)) await writeAll(conn, CONTINUE);
      while (filled - start < head.contentLength) {
        if (!(await readMore())) return;
      }
    }
    start += head.contentLength; // no route takes a body
    let answer = reply(parsed, services);
    if (answer instanceof Promise) answer = await answer;
    // Written here rather than through `writeAll`, to spare each answer an async step.
    const { out } = answer;
    const written = await conn.write(out);
    if (written < out.length) await writeAll(conn, out.subarray(written));
    tracked.since = Date.now();
    services.onAnswer(answer.answered);
    if (!head.keepAlive) return;
  }
}

/**
 * The part of a Node socket (a TLS session) {@linkcode serveHttp1Pushed} uses: its bytes come
 * as `data` events, and what is written and not yet sent is `writableLength`.
 */
export interface PushedSocket {
  on(event: "data", listener: (chunk: Uint8Array) => void): unknown;
  on(event: "close", listener: () => void): unknown;
  once(event: "drain", listener: () => void): unknown;
  write(bytes: Uint8Array): unknown;
  end(bytes: Uint8Array, done: () => void): unknown;
  readonly writableLength: number;
  destroy(): unknown;
}

/**
 * Answers requests on `socket` as its bytes arrive (`first`: those already read), with the same
 * rules, limits and deadlines as {@linkcode serveHttp1}, from the socket's own `data` events: no
 * read is awaited, and each answer is one write. Pipelined requests are answered in order.
 * While an answer is awaited, or more than {@linkcode MAX_UNSENT_BYTES} of answers is unsent (a
 * client that does not read them), what arrives is kept unread, and a client that sends more
 * than {@linkcode MAX_UNSENT_BYTES} meanwhile is closed: pausing a session does not stop Deno
 * 2.9's `node:tls` from reading it, so not reading would only move the bytes out of sight.
 * Resolves once the socket closes.
 */
export function serveHttp1Pushed(
  socket: PushedSocket,
  first: Uint8Array,
  tracked: OpenConnection,
  services: ConnectionServices,
): Promise<void> {
  /** Bytes kept between chunks (a head not yet whole, bytes held back): `kept[0, stored)`. */
  let kept = EMPTY;
  let stored = 0;
  let last: ParsedHead | undefined;
  /** Whether a request has begun and is not answered yet. */
  let underWay = false;
  /** How much of the head under way was found not to end yet. */
  let scanned = 0;
  /** The request whose body is arriving, and how much of that body is still to come. */
  let awaited: ParsedHead | undefined;
  let bodyLeft = 0;
  /** When the bytes being read arrived. */
  let now = Date.now();
  /** An answer is awaited or backed up: what arrives meanwhile is kept, not read. */
  let held = false;
  /** Whether bytes are being read (see `read`), and the chunks that arrived meanwhile. */
  let reading = false;
  const arrived: Uint8Array[] = [];
  let closed = false;
  /** Reads what was kept, then what arrives. */
  const release = () => {
    held = false;
    now = Date.now();
    read(EMPTY);
  };
  /** Keeps `bytes[from, ...)` for later, behind what is kept already. */
  const keep = (bytes: Uint8Array, from: number) => {
    const count = bytes.length - from;
    if (bytes.buffer === kept.buffer) {
      // Read from what is kept: its unread rest moves to the front.
      kept.copyWithin(0, from, bytes.length);
      stored = count;
      return;
    }
    if (stored + count > kept.length) {
      const grown = new Uint8Array(Math.max(2 * kept.length, stored + count, READ_ROOM));
      grown.set(kept.subarray(0, stored));
      kept = grown;
    }
    kept.set(bytes.subarray(from), stored);
    stored += count;
  };
  /** Says the last answer, then closes, as the pull loop does once it is written. */
  const close = ({ out, answered }: Reply) => {
    closed = true;
    socket.end(out, () => socket.destroy());
    services.onAnswer(answered);
  };
  const send = (parsed: ParsedHead, answer: Reply) => {
    underWay = false;
    if (!parsed.head.keepAlive) return close(answer);
    socket.write(answer.out);
    tracked.since = now;
    services.onAnswer(answer.answered);
    if (socket.writableLength <= MAX_UNSENT_BYTES) return;
    // A client that does not read its answers is answered no further until it does.
    held = true;
    socket.once("drain", () => closed || release());
  };
  const answer = (parsed: ParsedHead) => {
    const answering = reply(parsed, services);
    if (!(answering instanceof Promise)) return send(parsed, answering);
    held = true;
    answering.then((done) => {
      if (closed) return;
      held = false;
      now = Date.now();
      send(parsed, done);
      if (!held && !closed) release();
    });
  };
  /**
   * Reads `chunk` after what is kept. A write can deliver the session's next chunk at once,
   * inside the read of this one: such chunks wait in `arrived` until it is done.
   */
  const read = (chunk: Uint8Array) => {
    if (reading) return void arrived.push(chunk.slice());
    reading = true;
    // Whether bytes wait in `kept` that were not read yet.
    let fresh = true;
    if (held || stored > 0) keep(chunk, 0);
    else {
      take(chunk);
      fresh = false;
    }
    for (;;) {
      for (let next; (next = arrived.shift()) !== undefined; fresh = true) keep(next, 0);
      if (!fresh || held || closed) break;
      fresh = false;
      take(kept.subarray(0, stored));
    }
    reading = false;
    if (held && stored > MAX_UNSENT_BYTES && !closed) {
      closed = true;
      socket.destroy();
      services.onClosed("answers unread");
    }
  };
  /** Reads and answers the requests in `bytes`; keeps what it cannot read yet. */
  const take = (bytes: Uint8Array) => {
    stored = 0;
    let at = 0;
    while (at < bytes.length && !closed) {
      if (held) return keep(bytes, at);
      if (awaited !== undefined) {
        const skipped = Math.min(bodyLeft, bytes.length - at);
        at += skipped;
        bodyLeft -= skipped;
        if (bodyLeft > 0) return;
        const parsed = awaited;
        awaited = undefined;
        answer(parsed);
        continue;
      }
      if (!underWay) {
        underWay = true;
        begun(tracked, services, now);
      }
      const parsed = readHead(bytes, at, bytes.length, last, scanned);
      if (typeof parsed === "number") {
        scanned = parsed;
        return keep(bytes, at);
      }
      scanned = 0;
      if ("out" in parsed) return close(parsed);
      last = parsed.bytes.length <= KEPT_HEAD_BYTES ? parsed : undefined;
      at += parsed.bytes.length;
      tracked.since = now;
      const { head } = parsed;
      if (head.contentLength > MAX_REQUEST_BYTES) return close(bodyTooLarge(parsed));
      if (bytes.length - at < head.contentLength) {
        if (continueFirst(head)) socket.write(CONTINUE);
        awaited = parsed;
        bodyLeft = head.contentLength - (bytes.length - at);
        return;
      }
      at += head.contentLength; // no route takes a body
      answer(parsed);
    }
    if (!underWay && !held && !closed) idle(tracked, services);
  };
  return new Promise((resolve) => {
    socket.on("close", () => {
      closed = true;
      resolve();
    });
    socket.on("data", (chunk) => {
      if (closed) return;
      now = Date.now();
      read(chunk);
    });
    read(first);
  });
}

/** Between requests: the idle deadline, counted from the last progress. */
function idle(tracked: OpenConnection, services: ConnectionServices): void {
  tracked.busy = false;
  tracked.deadline = tracked.since + services.idleTimeoutMs;
}

/** A request has begun: all of it must arrive, and be answered, by the request deadline. */
function begun(tracked: OpenConnection, services: ConnectionServices, now: number): void {
  tracked.busy = true;
  tracked.deadline = now + services.requestTimeoutMs;
}

/** Whether the client waits for `100 Continue` before it sends the body. */
function continueFirst(head: RequestHead): boolean {
  return head.minor === 1 && head.expectContinue;
}

/** An answer refusing a request, after which the connection is closed. */
interface Refusal {
  out: Uint8Array;
  answered: Answer;
}

/**
 * The head at `buffer[start, filled)`: parsed (or the same as the connection's `last`, or one
 * kept), a refusal, or, while its end has not arrived, how many bytes it has so far (the
 * `scanned` of the next call, once more have arrived).
 */
function readHead(
  buffer: Uint8Array,
  start: number,
  filled: number,
  last: ParsedHead | undefined,
  scanned: number,
): ParsedHead | Refusal | number {
  // The head this connection sent last, sent again, ends where it ended (its one blank line
  // is its last): it is neither looked for nor parsed.
  if (last !== undefined && startsWith(buffer, start, filled, last.bytes)) return last;
  const end = findHeadEnd(buffer.subarray(start, filled), scanned);
  if (end < 0 ? filled - start > MAX_HEAD_BYTES : end > MAX_HEAD_BYTES) {
    return refusal(431, `Request head larger than ${MAX_HEAD_BYTES} bytes`);
  }
  if (end < 0) return filled - start;
  // A head seen lately on any connection (a probe, a poll) is not parsed again either.
  const bytes = buffer.subarray(start, start + end);
  let parsed = keptHead(bytes);
  if (parsed === undefined) {
    const head = parseRequestHead(decoder.decode(bytes));
    if (!("method" in head)) return refusal(head.status, head.error);
    parsed = { bytes: bytes.slice(), head, request: gatewayRequest(head) };
    if (end <= KEPT_HEAD_BYTES) keepHead(parsed);
  }
  return parsed;
}

function refusal(status: number, error: string): Refusal {
  return {
    out: encodeAnswer(json(status, { error }), 1, false, false),
    answered: { protocol: "http/1.1", method: "", path: "", status },
  };
}

function bodyTooLarge({ head, request }: ParsedHead): Refusal {
  const { method, minor } = head;
  return {
    out: encodeAnswer(json(413, { error: BODY_TOO_LARGE }), minor, method === "HEAD", false),
    answered: { protocol: "http/1.1", method, path: request.path, status: 413 },
  };
}

/** The bytes of the answer to `parsed` and what the log is told of it. */
interface Reply {
  out: Uint8Array;
  answered: Answer;
}

/** The answer to the request `parsed`: at once when the handler answers at once. */
function reply(parsed: ParsedHead, services: ConnectionServices): Reply | Promise<Reply> {
  if (parsed.reply !== undefined) return parsed.reply;
  let pending: ReturnType<GatewayHandler>;
  try {
    pending = services.handler(parsed.request);
  } catch (error) {
    return failed(parsed, error);
  }
  return pending instanceof Promise
    ? pending.then((answer) => replyTo(parsed, answer), (error) => failed(parsed, error))
    : replyTo(parsed, pending);
}

function replyTo(parsed: ParsedHead, answer: GatewayAnswer): Reply {
  const { method, minor, keepAlive } = parsed.head;
  const done = {
    out: encodeAnswer(answer, minor, method === "HEAD", keepAlive),
    answered: { protocol: "http/1.1", method, path: parsed.request.path, status: answer.status },
  } satisfies Reply;
  // A constant answer is the answer to every request with this head: kept with it.
  if (Object.isFrozen(answer)) parsed.reply = done;
  return done;
}

function failed(parsed: ParsedHead, error: unknown): Reply {
  const done = replyTo(parsed, json(500, { error: "Internal error" }));
  return { ...done, answered: { ...done.answered, error: (error as Error).message } };
}

/**
 * A request head as parsed, its bytes, and the request the routes see of it; with the bytes
 * of its answer and what the log is told of it, when that answer is constant.
 */
interface ParsedHead {
  bytes: Uint8Array;
  head: RequestHead;
  request: GatewayRequest;
  reply?: Reply;
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
const keptHeads = new Map<number, ParsedHead>();

function keptHead(bytes: Uint8Array): ParsedHead | undefined {
  const head = keptHeads.get(hashBytes(bytes));
  return head?.bytes.length === bytes.length && startsWith(bytes, 0, bytes.length, head.bytes)
    ? head
    : undefined;
}

function keepHead(head: ParsedHead): void {
  if (keptHeads.size >= KEPT_HEADS) keptHeads.delete(keptHeads.keys().next().value!);
  keptHeads.set(hashBytes(head.bytes), head);
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
