/**
 * Every limit the gateway server holds its clients to, in one place (the README's "Failure
 * behaviour" quotes them), and the pure decisions made with them: how many connections may be
 * open, which one gives way at that cap, which ones have run out of time, and when an HTTP/2
 * session has sent more control frames than it may.
 *
 * @module
 */

/** The longest request head the gateway reads (HTTP/1.1 head, HTTP/2 header block), in bytes. */
export const MAX_HEAD_BYTES = 16 * 1024;
/** The largest request body the gateway accepts, in bytes. */
export const MAX_REQUEST_BYTES = 64 * 1024;
/** The error of an answer refusing a body over {@linkcode MAX_REQUEST_BYTES}. */
export const BODY_TOO_LARGE = `Request body larger than ${MAX_REQUEST_BYTES} bytes`;

/**
 * HTTP/1.1 request heads up to this long are kept, parsed, so that the same head coming again
 * (on any connection) is not parsed again, in bytes ...
 */
export const KEPT_HEAD_BYTES = 1024;
/** ... and at most this many of them; the oldest make room. */
export const KEPT_HEADS = 64;

/** A connection with no request under way is closed after this long (`--idle-timeout-ms`). */
export const DEFAULT_IDLE_TIMEOUT_MS = 10_000;
/**
 * A request must arrive whole (head and body; an HTTP/2 stream's request) within this long of
 * its first byte, and be answered within the same time (`--request-timeout-ms`).
 */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

/**
 * The descriptor limit assumed when the launcher does not pass `--open-files`: the usual
 * soft limit (the container gets `RLIMIT_NOFILE` raised, and is told what it got).
 */
export const DEFAULT_OPEN_FILES = 1024;
/** Descriptors kept for everything but client connections (runtime, log, listener). */
export const RESERVED_DESCRIPTORS = 64;
/** The most connections open at once, whatever the descriptor limit (memory bounds them). */
export const MAX_CONNECTIONS_CEILING = 8192;
/** The fewest connections the cap allows. */
export const MIN_CONNECTIONS = 16;
/** When `accept` runs out of descriptors anyway, the cap drops this far below the open count. */
export const DESCRIPTOR_MARGIN = 8;
/** How long the listener waits before accepting again when descriptors ran out. */
export const ACCEPT_BACKOFF_MS = 20;
/**
 * The longest queue of connections not yet accepted that the plaintext listener asks the kernel
 * for (which caps it at `net.core.somaxconn`, 4096 by default since Linux 5.4). A full queue drops
 * every new client's SYN, which is sent again only after 1 s; Deno's own 511 fills in 13 ms of the
 * gateway kept from the CPU while one local client connects and resets as fast as it can, this one
 * in 0.1 s, and the gateway empties it in about 70 ms.
 */
export const LISTEN_BACKLOG = 4096;
/** The longest queue of connections not yet accepted that the TLS listener keeps. */
export const MAX_TLS_ACCEPT_BACKLOG = 128;

/** At most this many HTTP/2 streams open at once on one connection. */
export const MAX_CONCURRENT_STREAMS = 32;
/**
 * HTTP/2 frames that carry no request progress (PING, SETTINGS, RST_STREAM, WINDOW_UPDATE,
 * PRIORITY, CONTINUATION, empty DATA, unknown types) are allowed in a burst of this many ...
 */
export const CONTROL_FRAME_BURST = 200;
/** ... refilled at this many per second; past it the session ends with GOAWAY. */
export const CONTROL_FRAMES_PER_SECOND = 100;
/**
 * Unsent output above which the gateway stops reading the client (HTTP/2), or answers it no
 * further and closes it once it has sent this much more meanwhile (HTTP/1.1 over TLS), in bytes;
 * an HTTP/2 session over TLS is closed once this much it delivered waits unread.
 */
export const MAX_UNSENT_BYTES = 256 * 1024;
/** After a GOAWAY for a flood, how long the gateway keeps the connection before closing it. */
export const LAST_WORD_LINGER_MS = 1000;
/**
 * At most this many CONTINUATION frames may follow a HEADERS frame: a header block within the
 * head limit fits in one frame of the default size.
 */
export const MAX_CONTINUATION_FRAMES = 8;
/** The decoded header list an HTTP/2 request may carry, in bytes. */
export const MAX_HEADER_LIST_BYTES = 4 * MAX_HEAD_BYTES;
/**
 * The gateway's resident memory stays below this through every HTTP/2 flood above, in MiB
 * (measured by the tests and by `deno task bench gateway`, not enforced).
 */
export const FLOOD_MEMORY_BOUND_MIB = 128;

/**
 * The connection cap for a descriptor limit: all but {@linkcode RESERVED_DESCRIPTORS}, between
 * {@linkcode MIN_CONNECTIONS} and {@linkcode MAX_CONNECTIONS_CEILING}.
 *
 * @example
 * ```ts
 * import { connectionCap } from "./_limits.ts";
 * connectionCap(20000); // 8192
 * connectionCap(1024); // 960
 * ```
 */
export function connectionCap(openFiles: number): number {
  return Math.max(
    MIN_CONNECTIONS,
    Math.min(MAX_CONNECTIONS_CEILING, openFiles - RESERVED_DESCRIPTORS),
  );
}

/**
 * The TLS listener's queue of connections not yet accepted, and the cap over TLS, for a
 * descriptor limit and the cap asked for. `node:net` in Deno 2.9 accepts every queued
 * connection at once, before the gateway can close any, and never accepts again once one of
 * those accepts fails for want of descriptors; it is also slow to accept connections that
 * arrive in a row and send nothing, so a queue much shorter than such a burst makes clients
 * wait for their SYN to be sent again (1 s). So the queue is a quarter of the limit, at most
 * {@linkcode MAX_TLS_ACCEPT_BACKLOG}, and the cap leaves room for a whole queue besides the
 * descriptors reserved, whatever was asked: over TLS, accept never runs out of descriptors.
 *
 * @example
 * ```ts
 * import { tlsListenLimits } from "./_limits.ts";
 * tlsListenLimits(1024, 960); // { backlog: 128, cap: 832 }
 * tlsListenLimits(96, 1000); // { backlog: 24, cap: 16 }
 * ```
 */
export function tlsListenLimits(
  openFiles: number,
  maxConnections: number,
): { backlog: number; cap: number } {
  const backlog = Math.max(1, Math.min(MAX_TLS_ACCEPT_BACKLOG, Math.floor(openFiles / 4)));
  return { backlog, cap: Math.min(maxConnections, connectionCap(openFiles - backlog)) };
}

/** What the cap and the deadlines need to know of one open connection. */
export interface ConnectionProgress {
  /**
   * When it last made progress, in milliseconds: accepted, a request head or an HTTP/2
   * stream complete, an answer sent.
   */
  since: number;
  /** When it runs out of time (idle, or its request under way), in milliseconds. */
  deadline: number;
}

/**
 * The connection to close so a new one fits under the cap: the one that has made least
 * progress (the oldest `since`), busy or not. Undefined only when none is open.
 *
 * @example
 * ```ts
 * import { connectionToEvict } from "./_limits.ts";
 * connectionToEvict([{ since: 5, deadline: 9 }, { since: 1, deadline: 9 }]); // { since: 1, ... }
 * ```
 */
export function connectionToEvict<T extends ConnectionProgress>(open: Iterable<T>): T | undefined {
  let oldest: T | undefined;
  for (const connection of open) {
    if (oldest === undefined || connection.since < oldest.since) oldest = connection;
  }
  return oldest;
}

/**
 * The connections whose deadline has passed at `now`.
 *
 * @example
 * ```ts
 * import { expiredConnections } from "./_limits.ts";
 * expiredConnections([{ since: 0, deadline: 1000 }], 1000); // [{ since: 0, deadline: 1000 }]
 * ```
 */
export function expiredConnections<T extends ConnectionProgress>(
  open: Iterable<T>,
  now: number,
): T[] {
  const expired: T[] = [];
  for (const connection of open) if (connection.deadline <= now) expired.push(connection);
  return expired;
}

/** A token bucket: `tokens` left at `at` (milliseconds). */
export interface Bucket {
  tokens: number;
  at: number;
}

/**
 * Takes one token for a frame arriving at `now`, after refilling at `perSecond` up to `burst`;
 * false when none is left (the bucket is not changed then).
 *
 * @example
 * ```ts
 * import { takeToken } from "./_limits.ts";
 * const bucket = { tokens: 1, at: 0 };
 * [takeToken(bucket, 0, 1, 10), takeToken(bucket, 0, 1, 10), takeToken(bucket, 100, 1, 10)];
 * // [true, false, true]
 * ```
 */
export function takeToken(bucket: Bucket, now: number, burst: number, perSecond: number): boolean {
  const refilled = Math.min(burst, bucket.tokens + ((now - bucket.at) * perSecond) / 1000);
  if (refilled < 1) return false;
  bucket.tokens = refilled - 1;
  bucket.at = now;
  return true;
}
