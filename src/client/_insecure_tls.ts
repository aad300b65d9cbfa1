/**
 * What `--gateway-insecure` asks for over `https://`, as NVIDIA OpenShell's CLI does it:
 * TLS that accepts any server certificate (any issuer, any name, any date), sends no client
 * certificate and offers no ALPN, then HTTP/2 for gRPC and HTTP/1.1 for `/healthz`. Deno's
 * own HTTP client always verifies the server, so this goes through `node:http2`,
 * `node:https` and `node:tls`, and is loaded only when insecure is asked for.
 *
 * @module
 */
import http2 from "node:http2";
import https from "node:https";
import { isIP } from "node:net";
import tls from "node:tls";

/** One HTTP/2 POST's answer: its status, its headers and trailers, and its body. */
export interface InsecureAnswer {
  status: number;
  header(name: string): string | null;
  body: Uint8Array;
}

/** An HTTP/2 connection to one gateway, opened on the first POST. */
export interface InsecureClient {
  /** POSTs `body` to `url` (on this client's endpoint). */
  post(
    url: string,
    headers: Record<string, string>,
    body: Uint8Array,
    signal: AbortSignal,
  ): Promise<InsecureAnswer>;
  close(): void;
}

/** The host and port of an `https://` endpoint, as a socket connects to them. */
function address(endpoint: string): { host: string; port: number } {
  const url = new URL(endpoint);
  return { host: url.hostname.replace(/^\[(.*)\]$/, "$1"), port: Number(url.port || 443) };
}

/** Options of a TLS connection that verifies nothing and presents no certificate. */
function unverified(host: string): tls.ConnectionOptions {
  // SNI only for a host name, as TLS allows.
  return { rejectUnauthorized: false, ...(isIP(host) ? {} : { servername: host }) };
}

/**
 * An HTTP/2 client of `endpoint` (`https://host[:port]`) over unverified TLS.
 *
 * @example
 * ```ts
 * import { insecureClient } from "./_insecure_tls.ts";
 * const client = insecureClient("https://gw.example:8443");
 * const answer = await client.post(
 *   "https://gw.example:8443/openshell.v1.OpenShell/Health",
 *   { "content-type": "application/grpc" },
 *   new Uint8Array(5),
 *   AbortSignal.timeout(2000),
 * );
 * client.close();
 * ```
 */
export function insecureClient(endpoint: string): InsecureClient {
  const { host, port } = address(endpoint);
  let session: http2.ClientHttp2Session | undefined;
  const open = () => {
    // No ALPN: HTTP/2 with prior knowledge over the TLS stream, as upstream's client.
    // A session the gateway ended (a refused handshake) is not asked again: a new one is.
    if (session === undefined || session.destroyed || session.closed) {
      session = http2.connect(endpoint, {
        createConnection: () => tls.connect({ host, port, ...unverified(host) }),
      });
      session.on("error", () => {}); // each stream reports it
    }
    return session;
  };
  return {
    post: (url, headers, body, signal) =>
      new Promise((resolve, reject) => {
        if (signal.aborted) return reject(signal.reason);
        const { pathname, search } = new URL(url);
        const stream = open().request({
          ":method": "POST",
          ":path": `${pathname}${search}`,
          ...headers,
        });
        const fields = new Headers();
        let status = 0;
        const chunks: Uint8Array[] = [];
        const read = (received: http2.IncomingHttpHeaders) => {
          for (const [name, value] of Object.entries(received)) {
            if (!name.startsWith(":") && value !== undefined) fields.append(name, String(value));
          }
        };
        const abort = () => {
          stream.destroy();
          reject(signal.reason);
        };
        signal.addEventListener("abort", abort, { once: true });
        stream.on("response", (received) => {
          status = Number(received[":status"]);
          read(received);
        });
        stream.on("trailers", read);
        stream.on("data", (chunk: Uint8Array) => chunks.push(chunk));
        stream.on("end", () => {
          signal.removeEventListener("abort", abort);
          // Ended before any answer: the gateway closed the connection (a refused handshake).
          if (status === 0) return reject(new Error("connection closed"));
          const all = new Uint8Array(chunks.reduce((size, chunk) => size + chunk.length, 0));
          chunks.reduce((at, chunk) => (all.set(chunk, at), at + chunk.length), 0);
          resolve({ status, header: (name) => fields.get(name), body: all });
        });
        stream.on("error", (error: Error) => {
          signal.removeEventListener("abort", abort);
          reject(error);
        });
        stream.end(body);
      }),
    close: () => session?.destroy(),
  };
}

/**
 * `GET url` over HTTP/1.1 and unverified TLS: the status and reason phrase of the answer.
 *
 * @example
 * ```ts
 * import { insecureGet } from "./_insecure_tls.ts";
 * (await insecureGet("https://gw.example:8443/healthz", AbortSignal.timeout(2000))).status; // 200
 * ```
 */
export function insecureGet(
  url: string,
  signal: AbortSignal,
): Promise<{ status: number; statusText: string }> {
  const { host } = address(url);
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const request = https.get(url, { ...unverified(host), agent: false }, (response) => {
      signal.removeEventListener("abort", abort);
      response.resume();
      response.destroy();
      resolve({ status: response.statusCode ?? 0, statusText: response.statusMessage ?? "" });
    });
    const abort = () => {
      request.destroy();
      reject(signal.reason);
    };
    signal.addEventListener("abort", abort, { once: true });
    request.on("error", (error: Error) => {
      signal.removeEventListener("abort", abort);
      reject(error);
    });
  });
}
