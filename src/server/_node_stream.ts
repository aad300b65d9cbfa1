/**
 * Node streams over the gateway's connections and back: `node:http2` and `node:tls` take a
 * Node `Duplex`, the listener and the HTTP/1.1 server read and write a {@linkcode ByteStream}.
 *
 * @module
 */
import { Duplex } from "node:stream";
import { LAST_WORD_LINGER_MS, MAX_HEAD_BYTES, MAX_UNSENT_BYTES } from "./_limits.ts";
import { type ByteStream, writeAll } from "./_served_connection.ts";

/**
 * Checks what a client sends before it is passed on: undefined lets the bytes through;
 * `last` is the last the connection sends (say, a GOAWAY) before it is closed; `goodbyeAt`
 * passes on only the bytes before it, and nothing the client sends afterwards.
 */
export type ReadGuard = (
  bytes: Uint8Array,
) => { last: Uint8Array } | { goodbyeAt: number } | undefined;

/**
 * A Node stream over a connection, replaying the bytes already read from it (`pending`) first.
 * While more than {@linkcode MAX_UNSENT_BYTES} of output is unsent, the client is not read (a
 * client that reads nothing cannot make it buffer more); when the client closes, so does the
 * stream. With a `guard`, what the client sends is checked first; when the guard has a last
 * word, nothing more is read or written but that word, and the connection is closed
 * {@linkcode LAST_WORD_LINGER_MS} later (so the client reads it rather than only a reset); when
 * the client has said goodbye, what it sends afterwards is dropped until it closes.
 *
 * @example
 * ```ts
 * import { streamSocket } from "./_node_stream.ts";
 * const conn = await Deno.connect({ hostname: "127.0.0.1", port: 8090 });
 * streamSocket(conn).end(new TextEncoder().encode("GET / HTTP/1.0\r\n\r\n"));
 * ```
 */
export function streamSocket(
  conn: ByteStream,
  pending: Uint8Array = new Uint8Array(0),
  guard?: ReadGuard,
): Duplex {
  let first: Uint8Array | undefined = pending.length > 0 ? pending : undefined;
  let writing: Promise<void> = Promise.resolve();
  let ended = false;
  let goneQuiet = false;
  const buffer = new Uint8Array(16 * 1024);
  /** What of `bytes` may pass; on the guard's last word, says it and closes. */
  const admit = (bytes: Uint8Array): Uint8Array | undefined => {
    if (goneQuiet) return undefined;
    const verdict = guard?.(bytes);
    if (verdict === undefined) return bytes;
    if ("goodbyeAt" in verdict) {
      goneQuiet = true;
      return verdict.goodbyeAt > 0 ? bytes.subarray(0, verdict.goodbyeAt) : undefined;
    }
    ended = true;
    const last = verdict.last;
    writing.catch(() => {}).then(() => writeAll(conn, last)).then(() => conn.closeWrite())
      .catch(() => {}); // a client that reads nothing never gets it: the close still comes
    setTimeout(() => socket.destroy(), LAST_WORD_LINGER_MS);
    return undefined;
  };
  const socket: Duplex = new Duplex({
    read() {
      if (ended) return;
      if (first) {
        const chunk = admit(first);
        first = undefined;
        // Nothing to pass on: ask for more (a stream that pushes nothing is not read again).
        if (chunk) this.push(chunk);
        else if (!ended) this._read(0);
        return;
      }
      if (this.writableLength > MAX_UNSENT_BYTES) {
        this.once("drain", () => this._read(0));
        return;
      }
      conn.read(buffer).then(
        (count) => {
          if (count === null) {
            // The client closed: nothing more will be asked, and nothing more can be answered.
            this.push(null);
            this.destroy();
          } else {
            const chunk = admit(buffer.subarray(0, count));
            if (chunk) this.push(chunk.slice());
            else if (!ended) this._read(0);
          }
        },
        (error) => this.destroy(error),
      );
    },
    write(chunk: Uint8Array, _encoding, callback) {
      if (ended) return callback();
      writing = writeAll(conn, chunk);
      writing.then(() => callback(), callback);
    },
    final(callback) {
      conn.closeWrite().then(() => callback(), () => callback());
    },
    destroy(error, callback) {
      ended = true;
      try {
        conn.close();
      } catch {
        // already closed
      }
      callback(error);
    },
  });
  return socket;
}

/** Stops and starts again the reads of the socket under a stream (a TLS session's TCP socket). */
export interface SocketReads {
  stop(): void;
  start(): void;
}

/**
 * A {@linkcode ByteStream} over a Node stream (a TLS session speaking HTTP/2): reads take what
 * the stream has delivered; `null` once it has ended or failed. Pausing a session does not stop
 * Deno 2.9's `node:tls` from reading its socket, into memory out of sight, so the stream is never
 * paused: past {@linkcode MAX_HEAD_BYTES} waiting unread, the socket's own `reads` stop (its
 * client is held back, as in plaintext) until reads take it. Should more than
 * {@linkcode MAX_UNSENT_BYTES} wait unread all the same (its reader stopped: a client that does
 * not read its answers, or one still sending after the last word it was told), the stream is
 * destroyed, and `overflowed` called unless its own side had ended.
 *
 * @example
 * ```ts
 * import { socketStream } from "./_node_stream.ts";
 * import { Duplex } from "node:stream";
 * const stream = socketStream(Duplex.from(["hello"]), undefined, () => {});
 * await stream.read(new Uint8Array(5)); // 5
 * ```
 */
export function socketStream(
  socket: Duplex,
  reads: SocketReads | undefined,
  overflowed: () => void,
): ByteStream {
  const chunks: Uint8Array[] = [];
  let waiting = 0;
  let stopped = false;
  let ended = false;
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  socket.on("data", (chunk: Uint8Array | string) => {
    const bytes = typeof chunk === "string" ? new TextEncoder().encode(chunk) : chunk;
    chunks.push(bytes);
    waiting += bytes.length;
    // Stopping and starting for every chunk costs each request a turn of the event loop.
    if (waiting > MAX_HEAD_BYTES && !stopped && reads) {
      stopped = true;
      reads.stop();
    }
    if (waiting > MAX_UNSENT_BYTES) {
      chunks.length = 0;
      // Its own side ended (a GOAWAY said, say), it was closing already.
      if (!socket.writableEnded) overflowed();
      socket.destroy();
    }
    notify();
  });
  for (const event of ["end", "close", "error"]) {
    socket.on(event, () => {
      ended = true;
      notify();
    });
  }
  return {
    async read(into: Uint8Array): Promise<number | null> {
      while (chunks.length === 0) {
        if (ended) return null;
        await new Promise<void>((resolve) => (wake = resolve));
      }
      const chunk = chunks[0]!;
      const count = Math.min(into.length, chunk.length);
      into.set(chunk.subarray(0, count));
      if (count === chunk.length) chunks.shift();
      else chunks[0] = chunk.subarray(count);
      waiting -= count;
      if (stopped && waiting <= MAX_HEAD_BYTES && !ended) {
        stopped = false;
        reads!.start();
      }
      return count;
    },
    write(bytes: Uint8Array): Promise<number> {
      if (ended || socket.destroyed) return Promise.reject(new Deno.errors.BrokenPipe());
      return new Promise((resolve, reject) =>
        socket.write(bytes, (error) => (error ? reject(error) : resolve(bytes.length)))
      );
    },
    closeWrite(): Promise<void> {
      return new Promise((resolve) => socket.end(() => resolve()));
    },
    close(): void {
      socket.destroy();
    },
  };
}
