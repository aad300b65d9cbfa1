/**
 * mTLS on connections the gateway's listener has already accepted, through `node:tls` (the
 * only TLS server in Deno 2.9 that checks client certificates): a client whose certificate
 * is not signed by the gateway's client CA, or that sends none, is refused in the handshake
 * (one without is told so by the alert `certificate_required`; Deno's `node:tls` refuses another
 * CA's without an alert, checking the certificate only once its side of the handshake is done).
 * ALPN offers `h2` and `http/1.1`; the listener then tells them apart as it does in
 * plaintext. Loaded only by a gateway started with TLS files.
 *
 * @module
 */
import tls from "node:tls";
import type { Duplex } from "node:stream";
import { LAST_WORD_LINGER_MS } from "./_limits.ts";
import { socketStream, streamSocket } from "./_node_stream.ts";
import type { TlsAcceptor } from "./_served_connection.ts";

/** The PEM texts the TLS side is built from. */
export interface TlsMaterial {
  cert: string;
  key: string;
  clientCa: string;
}

/**
 * Builds the TLS side: a function opening the TLS session of one accepted connection.
 *
 * @throws {Error} when the certificate or key cannot be used.
 * @example
 * ```ts
 * import { createTlsAcceptor } from "./_tls_connection.ts";
 * const pem = (path: string) => Deno.readTextFileSync(path);
 * const accept = createTlsAcceptor({
 *   cert: pem("/run/openshell/tls.crt"),
 *   key: pem("/run/openshell/tls.key"),
 *   clientCa: pem("/run/openshell/client-ca.crt"),
 * });
 * const listener = Deno.listen({ port: 8443 });
 * const session = await accept(await listener.accept()); // read and write it as a connection
 * ```
 */
export function createTlsAcceptor(material: TlsMaterial): TlsAcceptor {
  const options: tls.TlsOptions = {
    cert: material.cert,
    key: material.key,
    ca: material.clientCa,
    requestCert: true,
    rejectUnauthorized: true,
    ALPNProtocols: ["h2", "http/1.1"],
  };
  // A server per connection: its one `secureConnection` is this connection's session.
  return (conn) =>
    new Promise((resolve, reject) => {
      const server = tls.createServer(options);
      const socket = streamSocket(conn);
      let refusal: Error | undefined;
      let secured = false;
      socket.on("error", () => {});
      socket.once("close", () => reject(refusal ?? new Error("closed during the TLS handshake")));
      alertBeforeClose(socket, () => !secured);
      server.once("tlsClientError", (error: Error) => (refusal = error));
      server.once("secureConnection", (session: tls.TLSSocket) => {
        secured = true;
        session.on("error", () => {});
        resolve(socketStream(session));
      });
      server.emit("connection", socket);
    });
}

/**
 * Lets a refused handshake's alert reach the client. Deno 2.9's `node:tls` destroys the stream
 * under a handshake it refuses (a client without a certificate) before it writes the alert it
 * has queued ("certificate required"), which it writes a moment later: so while `handshaking`,
 * a destroy waits for that moment and for what was written to be sent (at most
 * {@linkcode LAST_WORD_LINGER_MS}), then ends the connection; otherwise it is at once.
 */
function alertBeforeClose(socket: Duplex, handshaking: () => boolean): void {
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
