/**
 * The launcher's readiness probe: `GET /healthz` over a plain TCP connection, one request
 * per connection, optionally with a challenge whose proof the answer must carry (see
 * `contract/launch_proof.ts`), so that another server on the port is never taken for ours. Polling with `fetch` would set up an HTTP client (several milliseconds of
 * CPU) while the container is starting on the same cores; a refused connection costs next
 * to nothing.
 *
 * @module
 */

import { CHALLENGE_HEADER, PROOF_HEADER } from "../contract/mod.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** The most of a response head the probe reads. */
const HEAD_LIMIT = 8192;

/** The first line of an HTTP/1.x response: whether it is a 200. */
export function isOkStatusLine(head: string): boolean {
  return /^HTTP\/1\.[01] 200 /.test(head);
}

/** The PEM texts that reach a gateway served with mTLS: its CA and a client certificate. */
export interface ProbeTls {
  ca: string;
  cert: string;
  key: string;
}

/** A challenge to send and the proof the answer must carry. */
export interface ProbeProof {
  challenge: string;
  expected: string;
}

/**
 * Whether a response head (status line and headers) is a 200 carrying `proof`, when given.
 *
 * @example
 * ```ts
 * import { isProvenOk } from "./health_probe.ts";
 * isProvenOk("HTTP/1.1 200 OK\r\nx-openshell-proof: ab\r\n\r\n", { challenge: "c", expected: "ab" }); // true
 * ```
 */
export function isProvenOk(head: string, proof?: ProbeProof): boolean {
  if (!isOkStatusLine(head)) return false;
  if (proof === undefined) return true;
  const end = head.indexOf("\r\n\r\n");
  const lines = (end < 0 ? "" : head.slice(0, end)).split("\r\n").slice(1);
  return lines.some((line) => {
    const colon = line.indexOf(":");
    return colon > 0 && line.slice(0, colon).trim().toLowerCase() === PROOF_HEADER &&
      line.slice(colon + 1).trim() === proof.expected;
  });
}

/**
 * Asks `hostname:port` for `GET path` once (over TLS with `tls`'s client certificate, when
 * given); true on a 200 answer (carrying `proof`'s answer when given), false when nothing
 * listens, the answer is another status or lacks the proof, or it takes longer than
 * `timeoutMs`.
 *
 * @example
 * ```ts
 * import { probeReadiness } from "./mod.ts";
 * await probeReadiness({ hostname: "127.0.0.1", port: 8090 }, "/healthz"); // true once up
 * ```
 */
export async function probeReadiness(
  address: { hostname: string; port: number },
  path: string,
  timeoutMs = 2000,
  proof?: ProbeProof,
  tls?: ProbeTls,
): Promise<boolean> {
  let connection: Deno.Conn | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<false>((resolve) => {
    timer = setTimeout(() => {
      closeQuietly(connection); // unblocks a pending read
      resolve(false);
    }, timeoutMs);
  });
  const asked = askOnce(address, path, proof, tls, (opened) => (connection = opened));
  try {
    return await Promise.race([asked, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

async function askOnce(
  address: { hostname: string; port: number },
  path: string,
  proof: ProbeProof | undefined,
  tls: ProbeTls | undefined,
  opened: (connection: Deno.Conn) => void,
): Promise<boolean> {
  let connection: Deno.Conn | undefined;
  try {
    connection = tls
      ? await Deno.connectTls({
        hostname: address.hostname,
        port: address.port,
        caCerts: [tls.ca],
        cert: tls.cert,
        key: tls.key,
        alpnProtocols: ["http/1.1"],
      })
      : await Deno.connect({ hostname: address.hostname, port: address.port });
    opened(connection);
    const host = address.hostname.includes(":") ? `[${address.hostname}]` : address.hostname;
    const challenge = proof ? `${CHALLENGE_HEADER}: ${proof.challenge}\r\n` : "";
    const request = `GET ${path} HTTP/1.1\r\nHost: ${host}:${address.port}\r\n` +
      `${challenge}Connection: close\r\n\r\n`;
    const bytes = encoder.encode(request);
    for (let written = 0; written < bytes.length;) {
      written += await connection.write(bytes.subarray(written));
    }
    let head = "";
    const buffer = new Uint8Array(256);
    const until = proof ? "\r\n\r\n" : "\r\n";
    while (!head.includes(until) && head.length < HEAD_LIMIT) {
      const count = await connection.read(buffer);
      if (count === null) break;
      head += decoder.decode(buffer.subarray(0, count), { stream: true });
    }
    return isProvenOk(head, proof);
  } catch {
    return false; // not listening yet, reset, or closed by the timeout
  } finally {
    closeQuietly(connection);
  }
}

function closeQuietly(connection: Deno.Conn | undefined): void {
  try {
    connection?.close();
  } catch {
    // already closed
  }
}
