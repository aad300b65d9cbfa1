/**
 * The gateway's listener: one TCP port speaking HTTP/1.1 and HTTP/2 (h2c, prior knowledge,
 * or both over TLS with client certificates when a TLS side is given), told apart by the
 * first bytes of each connection. It owns every connection rather than
 * leave them to `Deno.serve`, so that it can hold each to its deadlines, keep their number
 * under a cap that follows the descriptor limit (closing the one that has made least progress
 * to admit a new one), and keep listening through any `accept` failure: one that concerns a
 * single connection (reset, aborted) is passed over at once, and only running out of
 * descriptors backs off. In plaintext it accepts with `Deno.listen`; over TLS the TLS side
 * listens itself (`node:tls` on native sockets, see `_tls_connection.ts`) and tells of each
 * connection as it accepts it, which is held to the same cap and deadlines from then on.
 * HTTP/2 support (`node:http2`) is loaded on the first HTTP/2 connection only: loaded ahead of
 * it, once the gateway has answered a first client, it stalls the clients being served
 * meanwhile (up to a second under a connection flood).
 *
 * Every connection is sent unbuffered (`TCP_NODELAY`): HTTP/2 answers a request in several
 * small writes (HEADERS, DATA, trailers), and buffered, all but the first would wait for the
 * client's delayed acknowledgement, 40 ms on Linux.
 *
 * A TLS session is opened inside the connection's own deadline (its handshake is bounded by
 * the idle timeout), and gets the same deadlines, cap and flood bounds as plaintext.
 *
 * @module
 */
import { serveHttp1 } from "./_http1_connection.ts";
import { sniffProtocol } from "./_http1_request_head.ts";
import { createReadBuffers } from "./_read_buffers.ts";
import {
  ACCEPT_BACKOFF_MS,
  connectionToEvict,
  DESCRIPTOR_MARGIN,
  expiredConnections,
  LISTEN_BACKLOG,
} from "./_limits.ts";
import type {
  AcceptedConnection,
  ConnectionServices,
  Http2Acceptor,
  OpenConnection,
  TlsListen,
} from "./_served_connection.ts";

/** What {@linkcode serveGateway} needs. */
export interface GatewayServerOptions extends ConnectionServices {
  hostname: string;
  port: number;
  /** At most this many connections are open at once. */
  maxConnections: number;
  /** Aborting it stops the server. */
  signal: AbortSignal;
  /** Listens for TLS sessions instead, for a gateway served with mTLS. */
  tls?: TlsListen | undefined;
}

/** A running server. */
export interface GatewayServer {
  addr: Deno.NetAddr;
  /** Resolves once the server has stopped and closed every connection. */
  finished: Promise<void>;
}

/** `accept` failed for want of descriptors (EMFILE, ENFILE). */
const OUT_OF_DESCRIPTORS = /os error 2[34]\b/;

/**
 * Listens on `hostname:port` and serves until `signal` aborts.
 *
 * @throws {Deno.errors.AddrInUse} and the other errors of `Deno.listen` (over TLS, those of
 * `node:net`'s `listen`).
 * @example
 * ```ts
 * import { createGatewayHandler } from "./_gateway_handler.ts";
 * import { serveGateway } from "./_gateway_server.ts";
 * const identity = { name: "local", version: "0.1.0", pid: Deno.pid, uid: 0, starts: 1 };
 * const shutdown = new AbortController();
 * const server = await serveGateway({
 *   hostname: "127.0.0.1",
 *   port: 8090,
 *   handler: createGatewayHandler({ identity, token: "t", startedAt: Date.now() }),
 *   grpc: { identity, token: "t" },
 *   idleTimeoutMs: 10_000,
 *   requestTimeoutMs: 10_000,
 *   maxConnections: 960,
 *   signal: shutdown.signal,
 *   onAnswer: (answer) => console.log(answer.method, answer.path, answer.status),
 *   onClosed: (reason) => console.warn("closed:", reason),
 * });
 * await server.finished; // once shutdown.abort() is called
 * ```
 */
export async function serveGateway(options: GatewayServerOptions): Promise<GatewayServer> {
  const open = new Set<OpenConnection>();
  const running = new Set<Promise<void>>();
  let http2: Promise<Http2Acceptor> | undefined;
  const buffers = createReadBuffers();
  let cap = options.maxConnections;
  /** Closes a connection and drops it from the count at once (its descriptor goes soon after). */
  const forget = (connection: OpenConnection) => {
    open.delete(connection);
    connection.close();
  };
  /** Closes the connections that made least progress until at most `count` are open. */
  const closeDownTo = (count: number): number => {
    let closed = 0;
    for (let victim; open.size > count && (victim = connectionToEvict(open));) {
      forget(victim);
      options.onClosed("over capacity");
      closed++;
    }
    return closed;
  };

  const loadHttp2 = () =>
    http2 ??= import("./_http2_connection.ts").then((m) => m.createHttp2Acceptor(options));
  const serveConnection = async (accepted: AcceptedConnection, tracked: OpenConnection) => {
    if ("serve" in accepted) {
      try {
        await accepted.serve(tracked, options, loadHttp2);
      } catch {
        // refused in the TLS handshake, or closed during it
      } finally {
        tracked.close();
      }
      return;
    }
    const buffer = buffers.take();
    try {
      const conn = await accepted.open();
      tracked.close = () => closeQuietly(conn);
      let filled = 0;
      let protocol: ReturnType<typeof sniffProtocol> = "more";
      while (protocol === "more") {
        const count = await conn.read(buffer.subarray(filled));
        if (count === null) return;
        filled += count;
        protocol = sniffProtocol(buffer.subarray(0, filled));
      }
      if (protocol === "http1") {
        await serveHttp1(conn, buffer, filled, tracked, options);
      } else {
        await (await loadHttp2())(conn, buffer.slice(0, filled), tracked);
      }
    } catch {
      // reset by the peer, or closed by a deadline or the cap
    } finally {
      tracked.close();
      // Nothing reads into it now: every read of the connection was awaited.
      buffers.give(buffer);
    }
  };
  /** Holds a connection to the deadlines and the cap, and serves it. */
  const track = (accepted: AcceptedConnection) => {
    const now = Date.now();
    const tracked: OpenConnection = {
      since: now,
      deadline: now + options.idleTimeoutMs,
      busy: false,
      close: accepted.close,
    };
    open.add(tracked);
    const task = serveConnection(accepted, tracked).finally(() => {
      open.delete(tracked);
      running.delete(task);
    });
    running.add(task);
  };

  /** Over TLS: the TLS side listens, and tells of each connection as it accepts it. */
  const listenTls = async (tls: TlsListen) => {
    const listener = await tls(options, (accepted) => {
      // It cannot wait before it accepts: the cap is kept as each one arrives.
      if (open.size >= cap) closeDownTo(cap - 1);
      track(accepted);
    });
    let stopped!: () => void;
    const listening = new Promise<void>((resolve) => (stopped = resolve));
    const stop = () => {
      listener.close();
      stopped();
    };
    return { addr: listener.addr, stop, listening };
  };
  /** In plaintext: the gateway's own accept loop. */
  const listenPlain = () => {
    const listener = Deno.listen({
      hostname: options.hostname,
      port: options.port,
      tcpBacklog: LISTEN_BACKLOG,
    });
    const listening = (async () => {
      for (;;) {
        let conn: Deno.TcpConn;
        try {
          conn = await listener.accept();
        } catch (error) {
          if (options.signal.aborted || error instanceof Deno.errors.BadResource) break;
          const message = (error as Error).message;
          options.onClosed("accept failed", message);
          // A failure of one connection (reset or aborted before it was accepted): next one.
          if (!OUT_OF_DESCRIPTORS.test(message)) continue;
          // The descriptor limit is lower than the cap allows for: lower the cap to fit it.
          cap = Math.max(1, open.size - DESCRIPTOR_MARGIN);
          if (closeDownTo(cap) === 0) {
            await new Promise((resolve) => setTimeout(resolve, ACCEPT_BACKOFF_MS));
          }
          continue;
        }
        if (open.size >= cap) {
          // Let the connections already accepted read what they were sent before one of them
          // is chosen to give way: a real request arriving amid a flood of new connections has
          // then made its progress.
          await new Promise((resolve) => setTimeout(resolve, 0));
          closeDownTo(cap - 1);
        }
        track({
          close: () => closeQuietly(conn),
          open: () => {
            conn.setNoDelay(true);
            return Promise.resolve(conn);
          },
        });
      }
    })();
    return { addr: listener.addr as Deno.NetAddr, stop: () => listener.close(), listening };
  };

  const { addr, stop, listening } = options.tls ? await listenTls(options.tls) : listenPlain();
  const sweeper = setInterval(
    () => {
      for (const connection of expiredConnections(open, Date.now())) {
        options.onClosed(connection.busy ? "request timeout" : "idle timeout");
        forget(connection);
      }
    },
    Math.max(10, Math.min(250, options.idleTimeoutMs / 4, options.requestTimeoutMs / 4)),
  );
  options.signal.addEventListener("abort", stop, { once: true });
  const finished = (async () => {
    await listening;
    clearInterval(sweeper);
    options.signal.removeEventListener("abort", stop);
    for (const connection of open) connection.close();
    await Promise.allSettled(running);
  })();
  return { addr, finished };
}

function closeQuietly(conn: { close(): void }): void {
  try {
    conn.close();
  } catch {
    // already closed
  }
}
