/**
 * The decisions of the gateway's HTTP/1.1 reader, as pure functions: which protocol a new
 * connection speaks, where a request head ends, and what the head says (method, target,
 * headers, how the body is framed, whether the connection stays open). The gateway reads
 * HTTP/1.1 itself because it must own each connection: sniff HTTP/2 on the same port, close
 * idle ones and cap how many are open.
 *
 * @module
 */

/** The HTTP/2 connection preface a prior-knowledge (h2c) client sends first. */
export const HTTP2_PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/** A parsed request head. */
export interface RequestHead {
  method: string;
  /** The origin-form target, e.g. `/healthz?x=1`. */
  target: string;
  /** `HTTP/1.<minor>`. */
  minor: 0 | 1;
  headers: [string, string][];
  /** How many body bytes follow the head. */
  contentLength: number;
  /** Whether the connection may carry another request after this one. */
  keepAlive: boolean;
  /** Whether the client waits for `100 Continue` before it sends the body. */
  expectContinue: boolean;
}

/** A head the gateway refuses, with the status to answer before closing. */
export interface HeadRejection {
  status: 400 | 411 | 431 | 501 | 505;
  error: string;
}

/**
 * Which protocol the first bytes of a connection speak: `http2` for the full h2c preface,
 * `more` while they are still a prefix of it, `http1` otherwise.
 *
 * @example
 * ```ts
 * import { sniffProtocol } from "./_http1_request_head.ts";
 * sniffProtocol(new TextEncoder().encode("GET / HTTP/1.1\r\n")); // "http1"
 * sniffProtocol(new TextEncoder().encode("PRI * HT")); // "more"
 * ```
 */
export function sniffProtocol(bytes: Uint8Array): "http1" | "http2" | "more" {
  const length = Math.min(bytes.length, HTTP2_PREFACE.length);
  for (let i = 0; i < length; i++) {
    if (bytes[i] !== HTTP2_PREFACE.charCodeAt(i)) return "http1";
  }
  return bytes.length >= HTTP2_PREFACE.length ? "http2" : "more";
}

/**
 * The index just past the blank line that ends a request head (CRLF CRLF, or bare LFs), or
 * -1 when it has not arrived yet. `scanned` is how many bytes an earlier call already found
 * no end in, so a head arriving byte by byte is scanned once, not once per byte.
 *
 * @example
 * ```ts
 * import { findHeadEnd } from "./_http1_request_head.ts";
 * findHeadEnd(new TextEncoder().encode("GET / HTTP/1.1\r\n\r\n")); // 18
 * ```
 */
export function findHeadEnd(bytes: Uint8Array, scanned = 0): number {
  // An end straddling the scanned part starts at most two bytes before its end.
  const from = Math.max(0, scanned - 2);
  for (let i = bytes.indexOf(10, from); i >= 0; i = bytes.indexOf(10, i + 1)) {
    if (bytes[i + 1] === 10) return i + 2;
    if (bytes[i + 1] === 13 && bytes[i + 2] === 10) return i + 3;
  }
  return -1;
}

const REQUEST_LINE = /^([^ ]+) ([^ ]+) HTTP\/(\d)\.(\d)\r?$/;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const TARGET = /^\/[\x21-\x7e]*$/;
// Field values may hold any character but controls other than tab.
// deno-lint-ignore no-control-regex
const FIELD_VALUE = /^[^\x00-\x08\x0a-\x1f\x7f]*$/;

/**
 * Parses a request head (request line and header fields, without the blank line).
 * Bodies must carry `Content-Length`: a chunked body is refused with 411, any other
 * transfer coding with 501.
 *
 * @example
 * ```ts
 * import { parseRequestHead } from "./_http1_request_head.ts";
 * parseRequestHead("GET /healthz HTTP/1.1\r\nHost: x");
 * // { method: "GET", target: "/healthz", minor: 1, headers: [["host", "x"]],
 * //   contentLength: 0, keepAlive: true }
 * ```
 */
export function parseRequestHead(text: string): RequestHead | HeadRejection {
  // Written for the cost per request: one pass over the lines, nothing split or copied that
  // is not kept, and the framing fields' lists made only when they are present.
  let from = 0;
  // Blank lines before the request line are passed over.
  for (;;) {
    if (text.charCodeAt(from) === LF) from += 1;
    else if (text.charCodeAt(from) === CR && text.charCodeAt(from + 1) === LF) from += 2;
    else break;
  }
  let end = lineEnd(text, from);
  const requestLine = REQUEST_LINE.exec(text.slice(from, end));
  if (!requestLine) return bad("Malformed request line");
  const [, method, target, major, minor] = requestLine as unknown as [string, ...string[]];
  if (!TOKEN.test(method!)) return bad("Malformed request method");
  if (major !== "1" || (minor !== "0" && minor !== "1")) {
    return { status: 505, error: `HTTP version not supported: "${major}.${minor}"` };
  }
  if (!TARGET.test(target!)) return bad("Request target must be an absolute path");
  const headers: [string, string][] = [];
  // The fields that frame the body and the connection, gathered in the same pass.
  let codings: string[] | undefined;
  let lengths: string[] | undefined;
  let connection: string[] | undefined;
  let expectContinue = false;
  for (from = end + 1; from < text.length; from = end + 1) {
    end = lineEnd(text, from);
    const stop = text.charCodeAt(end - 1) === CR && end > from ? end - 1 : end;
    if (stop === from) continue; // the blank line that ends the head
    const colon = text.indexOf(":", from);
    if (colon <= from || colon >= stop) return bad("Malformed header field");
    const name = text.slice(from, colon).toLowerCase();
    if (!TOKEN.test(name)) return bad("Malformed header field");
    const value = text.slice(colon + 1, stop).trim();
    if (!FIELD_VALUE.test(value)) return bad("Malformed header field");
    headers.push([name, value]);
    if (name === "transfer-encoding") (codings ??= []).push(...list(value));
    else if (name === "content-length") (lengths ??= []).push(...value.split(","));
    else if (name === "connection") (connection ??= []).push(...list(value));
    else if (name === "expect") expectContinue = value.toLowerCase() === "100-continue";
  }
  if (codings !== undefined && codings.length > 0) {
    return codings.at(-1) === "chunked"
      ? { status: 411, error: "Chunked request bodies are not accepted: send Content-Length" }
      : { status: 501, error: `Transfer coding not supported: "${codings.join(", ")}"` };
  }
  let contentLength = 0;
  if (lengths !== undefined) {
    const distinct = [...new Set(lengths.map((n) => n.trim()))];
    if (distinct.length > 1 || !/^\d{1,15}$/.test(distinct[0]!)) {
      return bad("Malformed Content-Length");
    }
    contentLength = Number(distinct[0]);
  }
  return {
    method: method!,
    target: target!,
    minor: minor === "1" ? 1 : 0,
    headers,
    contentLength,
    keepAlive: minor === "1"
      ? connection?.includes("close") !== true
      : connection?.includes("keep-alive") === true,
    expectContinue,
  };
}

const LF = 10;
const CR = 13;

/** Where the line starting at `from` ends: its LF, or the end of `text`. */
function lineEnd(text: string, from: number): number {
  const end = text.indexOf("\n", from);
  return end < 0 ? text.length : end;
}

function list(value: string): string[] {
  return value.split(",").map((v) => v.trim().toLowerCase()).filter((v) => v !== "");
}

function bad(error: string): HeadRejection {
  return { status: 400, error };
}
