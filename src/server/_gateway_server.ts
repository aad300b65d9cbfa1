/**
 * The gateway's listener: one TCP port speaking HTTP/1.1 and HTTP/2 (h2c, prior knowledge,
 * or both over TLS with client certificates when a TLS side is given), told apart by the
 * first bytes of each connection. It owns every connection rather than
 * leave them to `Deno.serve`, so that it can close idle and half-sent ones after a timeout,
 * keep their number under a cap, and keep listening when `accept` fails (EMFILE).
 * HTTP/2 support (`node:http2`) is loaded on the first HTTP/2 connection only.
 *
 * @module
 */
import { connectionToEvict, expiredConnections } from "./_connection_limits.ts";
import { serveHttp1 } from "./_http1_connection.ts";
import { sniffProtocol } from "./_http1_request_head.ts";
import type {
  ConnectionServices,
  Http2Acceptor,
  OpenConnection,
  TlsAcceptor,
} from "./_served_connection.ts";

/** Why the server closed a connection on its own. */
export type ClosedReason = "idle timeout" | "over capacity" | "accept failed";

/** What {@linkcode serveGateway} needs. */
export interface GatewayServerOptions extends ConnectionServices {
  hostname: string;
  port: number;
  /** Connections making no progress for this long are closed. */
  idleTimeoutMs: number;
  /** At most this many connections are open at once. */
  maxConnections: number;
  /** Told of every connection the server closes on its own. */
  onClosed: (reason: ClosedReason, error?: string) => void;
  /** Aborting it stops the server. */
  signal: AbortSignal;
  /** Opens each connection's TLS session first, for a gateway served with mTLS. */
  tls?: TlsAcceptor | undefined;
}

/** A running server. */
export interface GatewayServer {
  addr: Deno.NetAddr;
  /** Resolves once the server has stopped and closed every connection. */
  finished: Promise<void>;
}

/** How long to wait before accepting again after `accept` failed. */
const ACCEPT_RETRY_MS = 20;
/** Descriptors kept free under the limit once `accept` has hit it. */
const DESCRIPTOR_MARGIN = 8;
const EMFILE = /os error 24\b/;

/**
 * Listens on `hostname:port` and serves until `signal` aborts.
 *
 * @throws {Deno.errors.AddrInUse} and the other errors of `Deno.listen`.
 * @example
 * ```ts
 * import { createGatewayHandler } from "./_gateway_handler.ts";
 * import { serveGateway } from "./_gateway_server.ts";
 * import { createGrpcService } from "./_grpc_service.ts";
 * const identity = { name: "local", version: "0.1.0", pid: Deno.pid, uid: 0, starts: 1 };
 * const shutdown = new AbortController();
 * const server = serveGateway({
 *   hostname: "127.0.0.1",
 *   port: 8090,
 *   handler: createGatewayHandler({ identity, token: "t", startedAt: Date.now() }),
 *   grpc: createGrpcService({ identity, token: "t" }),
 *   idleTimeoutMs: 30_000,
 *   maxConnections: 256,
 *   signal: shutdown.signal,
 *   onAnswer: (answer) => console.log(answer.method, answer.path, answer.status),
 *   onClosed: (reason) => console.warn("closed:", reason),
 * });
 * await server.finished; // once shutdown.abort() is called
 * ```
 */
export function serveGateway(options: GatewayServerOptions): GatewayServer {
  const listener = Deno.listen({ hostname: options.hostname, port: options.port });
  const open = new Set<OpenConnection>();
  const running = new Set<Promise<void>>();
  let http2: Promise<Http2Acceptor> | undefined;
  const sweeper = setInterval(() => {
    for (const connection of expiredConnections(open, options.idleTimeoutMs, Date.now())) {
      options.onClosed("idle timeout");
      connection.close();
    }
  }, Math.max(10, Math.min(1000, options.idleTimeoutMs / 4)));
  let cap = options.maxConnections;
  /** Closes the connections waiting longest until at most `count` are open; how many. */
  const closeDownTo = (count: number): number => {
    let closed = 0;
    for (let victim; open.size > count && (victim = connectionToEvict(open));) {
      open.delete(victim); // gone for the count now, though its descriptor is freed a bit later
      victim.close();
      options.onClosed("over capacity");
      closed++;
    }
    return closed;
  };
  const stop = () => listener.close();
  options.signal.addEventListener("abort", stop, { once: true });

  const serveConnection = async (socket: Deno.Conn, tracked: OpenConnection) => {
    try {
      const conn = options.tls ? await options.tls(socket) : socket;
      let pending: Uint8Array = new Uint8Array(0);
      const buffer = new Uint8Array(4096);
      while (sniffProtocol(pending) === "more") {
        const count = await conn.read(buffer);
        if (count === null) return;
        pending = concat(pending, buffer.subarray(0, count));
      }
      if (sniffProtocol(pending) === "http1") {
        await serveHttp1(conn, pending, tracked, options.handler, options.onAnswer);
      } else {
        http2 ??= import("./_http2_connection.ts").then((m) => m.createHttp2Acceptor(options));
        await (await http2)(conn, pending, tracked);
      }
    } catch {
      // reset by the peer, or closed by the timeout or the cap
    } finally {
      tracked.close();
    }
  };

  const finished = (async () => {
    for (;;) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch (error) {
        if (options.signal.aborted || error instanceof Deno.errors.BadResource) break;
        options.onClosed("accept failed", (error as Error).message);
        if (EMFILE.test((error as Error).message)) {
          // The descriptor limit is lower than the cap allows for: lower the cap to fit it.
          cap = Math.max(1, open.size - DESCRIPTOR_MARGIN);
          if (closeDownTo(cap) > 0) continue;
        }
        await new Promise((resolve) => setTimeout(resolve, ACCEPT_RETRY_MS));
        continue;
      }
      if (open.size >= cap && closeDownTo(cap - 1) === 0) {
        options.onClosed("over capacity");
        closeQuietly(conn);
        continue;
      }
      const tracked: OpenConnection = {
        since: Date.now(),
        busy: false,
        close: () => closeQuietly(conn),
      };
      open.add(tracked);
      const task = serveConnection(conn, tracked).finally(() => {
        open.delete(tracked);
        running.delete(task);
      });
      running.add(task);
    }
    clearInterval(sweeper);
    options.signal.removeEventListener("abort", stop);
    for (const connection of open) connection.close();
    await Promise.allSettled(running);
  })();
  return { addr: listener.addr as Deno.NetAddr, finished };
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // already closed
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
