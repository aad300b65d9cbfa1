/**
 * How many connections the gateway keeps open at once, and which one gives way when a new
 * one arrives at that cap. Running out of file descriptors must never happen: Deno's accept
 * then fails, and other calls made without a free descriptor can abort the process.
 * Connections waiting for a request give way first, so a flood of idle ones never locks out
 * a real request.
 *
 * @module
 */

/**
 * The default cap: plenty for a gateway whose every request is answered at once, and far
 * below the descriptor limit of any container (Deno's `/proc/self/limits` needs
 * `--allow-all`, so the limit itself cannot be read).
 */
export const DEFAULT_MAX_CONNECTIONS = 128;

/** What the cap needs to know of one open connection. */
export interface ConnectionActivity {
  /** When it last made progress (accepted, or finished a request), in milliseconds. */
  since: number;
  /** Whether a request on it is being answered right now. */
  busy: boolean;
}

/**
 * The connection to close so a new one fits under the cap: the one waiting longest for a
 * request (idle, or with a request still arriving). Undefined when every one is answering,
 * in which case the new one is closed instead.
 *
 * @example
 * ```ts
 * import { connectionToEvict } from "./_connection_limits.ts";
 * connectionToEvict([{ since: 5, busy: false }, { since: 1, busy: true }]); // { since: 5, ... }
 * ```
 */
export function connectionToEvict<T extends ConnectionActivity>(
  open: Iterable<T>,
): T | undefined {
  let oldest: T | undefined;
  for (const connection of open) {
    if (!connection.busy && (oldest === undefined || connection.since < oldest.since)) {
      oldest = connection;
    }
  }
  return oldest;
}

/**
 * The connections to close because they made no progress for `timeoutMs`: idle ones, ones
 * whose request is still arriving, and ones whose answer the client does not read.
 *
 * @example
 * ```ts
 * import { expiredConnections } from "./_connection_limits.ts";
 * expiredConnections([{ since: 0, busy: false }], 1000, 500); // [{ since: 0, busy: false }]
 * ```
 */
export function expiredConnections<T extends ConnectionActivity>(
  open: Iterable<T>,
  timeoutMs: number,
  now: number,
): T[] {
  return [...open].filter((connection) => now - connection.since >= timeoutMs);
}
