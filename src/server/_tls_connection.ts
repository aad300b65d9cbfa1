/**
 * The gateway's listener over mTLS: a `node:tls` server (the only TLS server in Deno 2.9 that
 * checks client certificates) listening on its own, so that its sessions run on Deno's native
 * socket handles: over a JavaScript stream of connections the gateway accepted itself, each
 * request costs about twice the CPU. A client whose certificate is not signed by the gateway's
 * client CA, or that sends none, is refused in the handshake (one without is told so by the
 * alert `certificate_required`; Deno's `node:tls` refuses another CA's without an alert,
 * checking the certificate only once its side of the handshake is done). ALPN offers `h2`
 * and `http/1.1`; they are told apart by their first bytes, as in plaintext, and HTTP/1.1 is
 * answered from the session's own `data` events, with no read awaited per request (through a
 * stream over the session, each request cost 1-2 µs more CPU). Each connection
 * is told of as soon as it is accepted, so that the cap and the deadlines hold it from then,
 * its handshake included. Loaded only by a gateway started with TLS files.
 *
 * @module
 */
import type net from "node:net";
import tls from "node:tls";
import { serveHttp1Pushed } from "./_http1_connection.ts";
import { sniffProtocol } from "./_http1_request_head.ts";
import { LAST_WORD_LINGER_MS } from "./_limits.ts";
import { type SocketReads, socketStream } from "./_node_stream.ts";
import type {
  ConnectionServices,
  Http2Acceptor,
  OpenConnection,
  TlsListen,
} from "./_served_connection.ts";

/** The PEM texts the TLS side is built from. */
export interface TlsMaterial {
  cert: string;
  key: string;
  clientCa: string;
}

/**
 * Builds the TLS side: a function listening for TLS sessions, with at most `backlog`
 * connections queued before they are accepted (see `tlsListenLimits`).
 *
 * @throws {Error} when the certificate or key cannot be used.
 * @example
 * ```ts
 * import { createTlsListen } from "./_tls_connection.ts";
 * const pem = (path: string) => Deno.readTextFileSync(path);
 * const listen = createTlsListen({
 *   cert: pem("/run/openshell/tls.crt"),
 *   key: pem("/run/openshell/tls.key"),
 *   clientCa: pem("/run/openshell/client-ca.crt"),
 * }, 128);
 * const listener = await listen({ hostname: "127.0.0.1", port: 8443 }, (connection) => {
 *   connection.close(); // or serve it: see `_gateway_server.ts`
 * });
 * listener.close();
 * ```
 */
export function createTlsListen(material: TlsMaterial, backlog: number): TlsListen {
  const options: tls.TlsOptions = {
    cert: material.cert,
    key: material.key,
    ca: material.clientCa,
    requestCert: true,
    rejectUnauthorized: true,
    ALPNProtocols: ["h2", "http/1.1"],
  };
  tls.createSecureContext(options); // unusable files fail here, at start
  return (address, onConnection) =>
    new Promise((resolve, reject) => {
      const server = tls.createServer(options);
      /** The handshakes under way, by the client's address (unique among open connections). */
      const handshaking = new Map<string, Settle>();
      // Ahead of `node:tls`'s own listener, which takes the socket over for the session.
      server.prependListener("connection", (socket: net.Socket) => {
        socket.on("error", () => {});
        // Reset before it was accepted: gone, and without the address that would find it again.
        if (socket.remotePort === undefined) return void socket.destroy();
        socket.setNoDelay(true);
        const peer = peerOf(socket);
        let secured = false;
        let settle!: Settle;
        const session = new Promise<tls.TLSSocket>((resolve, reject) => {
          settle = {
            resolve: (stream) => {
              secured = true;
              resolve(stream);
            },
            reject,
          };
        });
        // The gateway's own close (a deadline, the cap) is at once.
        const close = socket.destroy.bind(socket);
        alertBeforeClose(socket, () => !secured);
        handshaking.set(peer, settle);
        socket.once("close", () => {
          if (handshaking.get(peer) === settle) handshaking.delete(peer);
          settle.reject(new Error("closed during the TLS handshake"));
        });
        onConnection({
          close,
          serve: async (tracked, services, http2) => {
            const opened = await session;
            tracked.close = opened.destroy.bind(opened);
            await serveSession(opened, socketReads(socket), tracked, services, http2);
          },
        });
      });
      const settled = (socket: net.Socket): Settle | undefined => {
        const peer = peerOf(socket);
        const settle = handshaking.get(peer);
        handshaking.delete(peer);
        return settle;
      };
      server.on("secureConnection", (session: tls.TLSSocket) => {
        session.on("error", () => {});
        const settle = settled(session);
        if (settle) settle.resolve(session);
        else session.destroy();
      });
      // Refused in the handshake: `node:tls` ends the connection itself, after its alert (closed
      // by the gateway at once, the client could get a reset in its stead).
      server.on("tlsClientError", (error: Error, socket: tls.TLSSocket) => {
        const settle = settled(socket);
        if (settle) socket.once("close", () => settle.reject(error));
      });
      const failed = (error: Error) => reject(error);
      server.once("error", failed);
      server.listen({ port: address.port, host: address.hostname, backlog }, () => {
        server.off("error", failed);
        // A failure to accept one connection concerns that connection only.
        server.on("error", () => {});
        const { address: hostname, port } = server.address() as net.AddressInfo;
        resolve({ addr: { transport: "tcp", hostname, port }, close: () => server.close() });
      });
    });
}

interface Settle {
  resolve(session: tls.TLSSocket): void;
  reject(error: Error): void;
}

/**
 * Serves a TLS session until it closes: HTTP/1.1 from the session's own `data` events (no read
 * awaited per request), HTTP/2 through `http2`, told apart by its first bytes.
 */
function serveSession(
  session: tls.TLSSocket,
  reads: SocketReads | undefined,
  tracked: OpenConnection,
  services: ConnectionServices,
  http2: () => Promise<Http2Acceptor>,
): Promise<void> {
  if (session.destroyed) return Promise.resolve();
  return new Promise((resolve, reject) => {
    let first: Uint8Array = new Uint8Array(0);
    const closed = () => resolve();
    const sniff = (chunk: Uint8Array) => {
      if (first.length > 0) {
        const joined = new Uint8Array(first.length + chunk.length);
        joined.set(first);
        joined.set(chunk, first.length);
        chunk = joined;
      }
      first = chunk;
      const protocol = sniffProtocol(first);
      if (protocol === "more") return;
      session.off("data", sniff);
      session.off("close", closed);
      if (protocol === "http1") return resolve(serveHttp1Pushed(session, first, tracked, services));
      // HTTP/2 reads the session as a stream (kept from its first bytes on, bounded, while
      // `node:http2` loads).
      const stream = socketStream(session, reads, () => services.onClosed("answers unread"));
      http2().then((accept) => accept(stream, first, tracked)).then(resolve, reject);
    };
    session.on("data", sniff);
    session.on("close", closed);
  });
}

/**
 * The reads of the TCP socket under a TLS session, which pausing the session does not stop, where
 * the socket has the handle to stop them (Deno 2.9's `node:net` does, as Node's).
 */
function socketReads(socket: net.Socket): SocketReads | undefined {
  type Handle = { readStop?: unknown; readStart?: unknown } | null | undefined;
  const handleOf = () => (socket as unknown as { _handle: Handle })._handle;
  const handle = handleOf();
  if (typeof handle?.readStop !== "function" || typeof handle.readStart !== "function") return;
  // Looked up at each call: a closed socket has none.
  const call = (name: "readStop" | "readStart") => () => {
    const current = handleOf();
    const method = current?.[name];
    if (typeof method === "function") method.call(current);
  };
  return { stop: call("readStop"), start: call("readStart") };
}

function peerOf(socket: net.Socket): string {
  return `${socket.remoteAddress}:${socket.remotePort}`;
}

/**
 * Lets a refused handshake's alert reach the client. Deno 2.9's `node:tls` destroys the socket
 * under a handshake it refuses (a client without a certificate) before it has sent the alert
 * it wrote ("certificate required"): so while `handshaking`, a destroy waits a moment, then
 * ends the connection once what was written is sent (at most {@linkcode LAST_WORD_LINGER_MS}),
 * then destroys it; otherwise it is at once.
 */
function alertBeforeClose(socket: net.Socket, handshaking: () => boolean): void {
  const destroy = socket.destroy.bind(socket);
  let closing = false;
  socket.destroy = (error?: Error) => {
    if (!handshaking() || socket.destroyed) return destroy(error);
    if (closing) return socket;
    closing = true;
    const timer = setTimeout(() => destroy(error), LAST_WORD_LINGER_MS);
    setTimeout(() =>
      socket.end(() => {
        clearTimeout(timer);
        destroy(error);
      }), 0);
    return socket;
  };
}
